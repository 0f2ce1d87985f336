from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1 = [
    path("accounts/", include("apps.accounts.api.urls")),
]

urlpatterns = [
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("exceptions/", include("apps.exceptions.urls")),
    path("reports/", include("apps.reports.urls")),
    path("monitoring/", include("apps.monitoring.urls")),
    path("approvals/", include("apps.approvals.urls")),
    path("systems/", include("apps.connectors.urls")),
    path("audit/", include("apps.audit.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("django-admin/", admin.site.urls),
]

handler400 = "apps.core.errorviews.bad_request"
handler403 = "apps.core.errorviews.permission_denied"
handler404 = "apps.core.errorviews.page_not_found"
handler500 = "apps.core.errorviews.server_error"
