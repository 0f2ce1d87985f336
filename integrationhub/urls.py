from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# Each app owns its paths below /api/v1/ (e.g. the ledger owns inbound/ and transactions/).
api_v1 = [
    path("accounts/", include("apps.accounts.api.urls")),
    path("", include("apps.ledger.api.urls")),
    path("", include("apps.sync.api.urls")),
    path("", include("apps.exceptions.api.urls")),
    path("", include("apps.connectors.api.urls")),
    path("", include("apps.procurement.api.urls")),
    path("", include("apps.approvals.api.urls")),
    path("", include("apps.schedule.api.urls")),
    path("", include("apps.documents.api.urls")),
    path("", include("apps.banking.api.urls")),
    path("", include("apps.monitoring.api.urls")),
    path("", include("apps.reports.api.urls")),
    path("", include("apps.billing.api.urls")),
    path("", include("apps.feeds.api.urls")),
    path("", include("apps.entities.api.urls")),
    path("", include("apps.vendors.api.urls")),
    path("", include("apps.compliance.api.urls")),
]

urlpatterns = [
    path("", include("apps.core.urls")),
    path("", include("apps.monitoring.urls_root")),
    path("accounts/", include("apps.accounts.urls")),
    path("ledger/", include("apps.ledger.urls")),
    path("config/", include("apps.sync.urls")),
    path("jobs/", include("apps.sync.urls_jobs")),
    path("exceptions/", include("apps.exceptions.urls")),
    path("reports/", include("apps.reports.urls")),
    path("monitoring/", include("apps.monitoring.urls")),
    path("approvals/", include("apps.approvals.urls")),
    path("procurement/", include("apps.procurement.urls")),
    path("schedule/", include("apps.schedule.urls")),
    path("documents/", include("apps.documents.urls")),
    path("banking/", include("apps.banking.urls")),
    path("field/", include("apps.field.urls")),
    path("billing/", include("apps.billing.urls")),
    path("workflows/", include("apps.workflows.urls")),
    path("systems/", include("apps.connectors.urls")),
    path("audit/", include("apps.audit.urls")),
    path("entities/", include("apps.entities.urls")),
    path("vendors/", include("apps.vendors.urls")),
    path("compliance/", include("apps.compliance.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("django-admin/", admin.site.urls),
]

handler400 = "apps.core.errorviews.bad_request"
handler403 = "apps.core.errorviews.permission_denied"
handler404 = "apps.core.errorviews.page_not_found"
handler500 = "apps.core.errorviews.server_error"
