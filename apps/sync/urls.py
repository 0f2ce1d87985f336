from django.urls import path

from apps.sync import views

app_name = "sync"
urlpatterns = [
    path("", views.config_index, name="config"),
    path("sor/", views.sor_rules, name="sor_rules"),
    path("sor/new/", views.sor_rule_edit, name="sor_rule_new"),
    path("sor/<int:rule_id>/", views.sor_rule_edit, name="sor_rule_edit"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/<int:policy_id>/", views.policy_edit, name="policy_edit"),
    path("mappings/", views.mappings, name="mappings"),
    path("mappings/new/", views.mapping_edit, name="mapping_new"),
    path("mappings/<int:mapping_id>/", views.mapping_edit, name="mapping_edit"),
    path("mappings/<int:mapping_id>/retire/", views.mapping_retire, name="mapping_retire"),
    path("mappings/export/", views.mapping_export, name="mapping_export"),
    path("mappings/import/", views.mapping_import, name="mapping_import"),
    path("mappings/suggestions/", views.suggestions, name="suggestions"),
    path(
        "mappings/suggestions/<int:suggestion_id>/<str:decision>/",
        views.suggestion_decide,
        name="suggestion_decide",
    ),
    path("bindings/", views.bindings, name="bindings"),
    path("delivery/", views.delivery, name="delivery"),
    path("delivery/<slug:code>/", views.delivery_edit, name="delivery_edit"),
    path("delivery/<slug:code>/breaker/close/", views.breaker_close, name="breaker_close"),
    path("replay-requests/", views.replay_requests, name="replay_requests"),
    path(
        "replay-requests/<int:request_id>/<str:decision>/",
        views.replay_request_decide,
        name="replay_request_decide",
    ),
]
