from django.urls import path

from apps.sync.api import views

app_name = "sync-api"
urlpatterns = [
    path("sync/sor-rules/", views.SorRuleListApi.as_view(), name="sor-rules"),
    path("sync/sor-rules/<int:rule_id>/", views.SorRuleDetailApi.as_view(), name="sor-rule"),
    path("sync/policies/", views.PolicyListApi.as_view(), name="policies"),
    path("sync/policies/<int:policy_id>/", views.PolicyDetailApi.as_view(), name="policy"),
    path("sync/mappings/", views.MappingListApi.as_view(), name="mappings"),
    path("sync/mappings/<int:mapping_id>/", views.MappingDetailApi.as_view(), name="mapping"),
    path("sync/mapping-fixes/", views.MappingFixApi.as_view(), name="mapping-fixes"),
    path("sync/bindings/", views.BindingListApi.as_view(), name="bindings"),
    path("sync/breakers/", views.BreakerListApi.as_view(), name="breakers"),
    path("jobs/", views.JobListApi.as_view(), name="jobs"),
    path("jobs/<int:job_id>/", views.JobDetailApi.as_view(), name="job"),
    path("replays/", views.BulkReplayApi.as_view(), name="replays"),
    path("replay-requests/", views.ReplayRequestListApi.as_view(), name="replay-requests"),
    path(
        "replay-requests/<int:request_id>/<str:decision>/",
        views.ReplayRequestDecisionApi.as_view(),
        name="replay-request-decision",
    ),
]
