"""Sync engine API (integration admins): configuration, bindings, breakers, job runs, bulk
replay, replay approvals (segregation of duties) and the mapping fix behind mapping-miss items.

Paths below /api/v1/: sync/sor-rules/, sync/policies/, sync/mappings/, sync/bindings/,
sync/breakers/, sync/mapping-fixes/, jobs/, replays/, replay-requests/.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import INTEGRATION_ADMIN, HasRole
from apps.connectors.models import System
from apps.core.api import MAX_ID, IdCursorPagination
from apps.core.errors import ApplicationError
from apps.exceptions.models import ExceptionItem
from apps.projects.models import Project
from apps.sync.breaker import breaker_get
from apps.sync.choices import (
    ConflictPolicy,
    JobKind,
    JobTrigger,
    MappingKind,
    ReplayRequestStatus,
    SyncDirection,
    SyncMode,
)
from apps.sync.models import Mapping, ReplayRequest, SyncPolicy, SystemOfRecordRule
from apps.sync.replay import (
    REPLAY_FILTER_KEYS,
    mapping_fix_and_replay,
    replay_bulk_start,
    replay_request_approve,
    replay_request_reject,
)
from apps.sync.selectors import (
    binding_list,
    job_log_lines,
    job_run_get,
    job_run_list,
    mapping_list,
    sor_rule_list,
    sync_policy_list,
)
from apps.sync.services import (
    job_run_create,
    mapping_deactivate,
    mapping_save,
    sor_rule_save,
    sync_policy_save,
)
from apps.sync.tasks import job_run_enqueue


class AdminApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN,)

    def paginate(self, request, queryset, output):
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(output(page, many=True).data)


class SystemCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=System.objects.all(), **kwargs)


class ProjectCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(slug_field="code", queryset=Project.objects.all(), **kwargs)


class EntityCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        from apps.entities.models import Entity

        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(slug_field="code", queryset=Entity.objects.all(), **kwargs)


# --- SoR rules -----------------------------------------------------------------------------------


class SorRuleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    field = serializers.CharField()
    authority_system = serializers.CharField(
        source="authority_system.code", default=None, allow_null=True
    )
    authority_kind = serializers.CharField()
    conflict_policy = serializers.CharField()
    enabled = serializers.BooleanField()
    note = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class SorRuleInput(serializers.Serializer):
    domain = serializers.CharField(max_length=40)
    field = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    authority_system = SystemCodeField(required=False, allow_null=True, default=None)
    authority_kind = serializers.CharField(required=False, allow_blank=True, default="")
    conflict_policy = serializers.ChoiceField(choices=ConflictPolicy.choices)
    enabled = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SorRuleListApi(AdminApi):
    @extend_schema(responses={200: SorRuleOutput(many=True)})
    def get(self, request):
        return self.paginate(request, sor_rule_list(), SorRuleOutput)

    @extend_schema(request=SorRuleInput, responses={201: SorRuleOutput})
    def post(self, request):
        data = SorRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        rule = sor_rule_save(actor=request.user, **data.validated_data)
        return Response(SorRuleOutput(rule).data, status=201)


class SorRuleDetailApi(AdminApi):
    @extend_schema(responses={200: SorRuleOutput})
    def get(self, request, rule_id: int):
        return Response(SorRuleOutput(get_object_or_404(SystemOfRecordRule, pk=rule_id)).data)

    @extend_schema(request=SorRuleInput, responses={200: SorRuleOutput})
    def put(self, request, rule_id: int):
        rule = get_object_or_404(SystemOfRecordRule, pk=rule_id)
        data = SorRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        rule = sor_rule_save(actor=request.user, rule=rule, **data.validated_data)
        return Response(SorRuleOutput(rule).data)


# --- sync policies --------------------------------------------------------------------------------


class PolicyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    source_system = serializers.CharField(source="source_system.code")
    target_system = serializers.CharField(source="target_system.code")
    direction = serializers.CharField()
    mode = serializers.CharField()
    interval_minutes = serializers.IntegerField(allow_null=True)
    cron = serializers.CharField()
    batch_size = serializers.IntegerField()
    enabled = serializers.BooleanField()
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    entity = serializers.CharField(source="entity.code", default=None, allow_null=True)
    note = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class PolicyInput(serializers.Serializer):
    domain = serializers.CharField(max_length=40)
    source_system = SystemCodeField()
    target_system = SystemCodeField()
    direction = serializers.ChoiceField(choices=SyncDirection.choices, default="one_way")
    mode = serializers.ChoiceField(choices=SyncMode.choices, default="event")
    interval_minutes = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None
    )
    cron = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    batch_size = serializers.IntegerField(min_value=1, max_value=10000, default=100)
    enabled = serializers.BooleanField(default=True)
    project = ProjectCodeField(default=None)
    entity = EntityCodeField(default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PolicyListApi(AdminApi):
    @extend_schema(responses={200: PolicyOutput(many=True)})
    def get(self, request):
        return self.paginate(
            request, sync_policy_list(domain=request.query_params.get("domain", "")), PolicyOutput
        )

    @extend_schema(request=PolicyInput, responses={201: PolicyOutput})
    def post(self, request):
        data = PolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        policy = sync_policy_save(actor=request.user, **data.validated_data)
        return Response(PolicyOutput(policy).data, status=201)


class PolicyDetailApi(AdminApi):
    @extend_schema(responses={200: PolicyOutput})
    def get(self, request, policy_id: int):
        return Response(PolicyOutput(get_object_or_404(SyncPolicy, pk=policy_id)).data)

    @extend_schema(request=PolicyInput, responses={200: PolicyOutput})
    def put(self, request, policy_id: int):
        policy = get_object_or_404(SyncPolicy, pk=policy_id)
        data = PolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        policy = sync_policy_save(actor=request.user, policy=policy, **data.validated_data)
        return Response(PolicyOutput(policy).data)


# --- mappings ------------------------------------------------------------------------------------


class MappingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    system = serializers.CharField(source="system.code")
    scope = serializers.CharField()
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    entity = serializers.CharField(source="entity.code", default=None, allow_null=True)
    external_value = serializers.CharField()
    external_label = serializers.CharField()
    canonical_value = serializers.CharField()
    active = serializers.BooleanField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class MappingInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MappingKind.choices)
    system = SystemCodeField()
    scope = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    project = ProjectCodeField(default=None)
    entity = EntityCodeField(default=None)
    external_value = serializers.CharField(max_length=200)
    external_label = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    canonical_value = serializers.CharField(max_length=200)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MappingListApi(AdminApi):
    @extend_schema(responses={200: MappingOutput(many=True)})
    def get(self, request):
        params = request.query_params
        system = System.objects.filter(code=params.get("system", "")).first()
        queryset = mapping_list(
            kind=params.get("kind", ""),
            system_id=system.pk if system else None,
            search=params.get("q", ""),
        )
        if params.get("system") and system is None:
            queryset = queryset.none()
        return self.paginate(request, queryset, MappingOutput)

    @extend_schema(request=MappingInput, responses={201: MappingOutput})
    def post(self, request):
        data = MappingInput(data=request.data)
        data.is_valid(raise_exception=True)
        mapping = mapping_save(actor=request.user, **data.validated_data)
        return Response(MappingOutput(mapping).data, status=201)


class MappingDetailApi(AdminApi):
    class UpdateInput(serializers.Serializer):
        class Meta:
            ref_name = "MappingUpdateInput"

        canonical_value = serializers.CharField(max_length=200)
        external_label = serializers.CharField(
            max_length=300, required=False, allow_blank=True, default=""
        )
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(responses={200: MappingOutput})
    def get(self, request, mapping_id: int):
        return Response(MappingOutput(get_object_or_404(Mapping, pk=mapping_id)).data)

    @extend_schema(request=UpdateInput, responses={200: MappingOutput})
    def put(self, request, mapping_id: int):
        mapping = get_object_or_404(Mapping, pk=mapping_id, active=True)
        data = self.UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        mapping = mapping_save(
            actor=request.user,
            kind=mapping.kind,
            system=mapping.system,
            scope=mapping.scope,
            project=mapping.project,
            entity=mapping.entity,
            external_value=mapping.external_value,
            **data.validated_data,
        )
        return Response(MappingOutput(mapping).data)

    @extend_schema(responses={200: MappingOutput})
    def delete(self, request, mapping_id: int):
        """Retire the mapping (kept with its history; never deleted)."""
        mapping = mapping_deactivate(
            actor=request.user, mapping=get_object_or_404(Mapping, pk=mapping_id)
        )
        return Response(MappingOutput(mapping).data)


class MappingFixApi(AdminApi):
    """The one action behind a mapping-miss exception item: map the value, release the held
    transactions, resolve the item."""

    class Input(serializers.Serializer):
        class Meta:
            ref_name = "MappingFixInput"

        exception_item_id = serializers.IntegerField()
        canonical_value = serializers.CharField(max_length=200)
        project = ProjectCodeField(default=None)
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class Output(serializers.Serializer):
        class Meta:
            ref_name = "MappingFixOutput"

        mapping_id = serializers.IntegerField(source="mapping.pk")
        released = serializers.ListField(child=serializers.IntegerField())
        replayed = serializers.ListField(child=serializers.IntegerField())
        exception_item_status = serializers.CharField(source="item.status")

    @extend_schema(request=Input, responses={200: Output})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        item = get_object_or_404(ExceptionItem, pk=data.validated_data["exception_item_id"])
        result = mapping_fix_and_replay(
            item=item,
            actor=request.user,
            canonical_value=data.validated_data["canonical_value"],
            note=data.validated_data["note"],
            project=data.validated_data["project"],
        )
        return Response(self.Output(result).data)


# --- bindings and breakers -----------------------------------------------------------------------


class BindingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    canonical_id = serializers.CharField()
    system = serializers.CharField(source="system.code")
    external_id = serializers.CharField()
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)
    last_seen_at = serializers.DateTimeField(allow_null=True)
    orphaned_at = serializers.DateTimeField(allow_null=True)
    last_transaction_id = serializers.IntegerField(allow_null=True)


class BindingListApi(AdminApi):
    @extend_schema(responses={200: BindingOutput(many=True)})
    def get(self, request):
        params = request.query_params
        system = System.objects.filter(code=params.get("system", "")).first()
        orphaned = {"true": True, "1": True, "false": False, "0": False}.get(
            params.get("orphaned", "").lower()
        )
        queryset = binding_list(
            system_id=system.pk if system else None,
            domain=params.get("domain", ""),
            orphaned=orphaned,
            search=params.get("q", ""),
        )
        return self.paginate(request, queryset, BindingOutput)


class BreakerListApi(AdminApi):
    pagination_class = None  # a plain list, not paginated

    class Output(serializers.Serializer):
        class Meta:
            ref_name = "BreakerOutput"

        system = serializers.CharField(source="system.code")
        state = serializers.CharField()
        consecutive_failures = serializers.IntegerField()
        opened_at = serializers.DateTimeField(allow_null=True)
        retry_at = serializers.DateTimeField(allow_null=True)
        last_error = serializers.CharField()
        last_failure_at = serializers.DateTimeField(allow_null=True)
        last_success_at = serializers.DateTimeField(allow_null=True)
        times_opened = serializers.IntegerField()

    @extend_schema(responses={200: Output(many=True)})
    def get(self, request):
        breakers = [breaker_get(system=s) for s in System.objects.order_by("code")]
        return Response(self.Output(breakers, many=True).data)


# --- job runs ------------------------------------------------------------------------------------


class JobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    trigger = serializers.CharField()
    policy_id = serializers.IntegerField(allow_null=True)
    system = serializers.CharField(source="system.code", default=None, allow_null=True)
    domain = serializers.CharField()
    read_count = serializers.IntegerField()
    created_count = serializers.IntegerField()
    updated_count = serializers.IntegerField()
    skipped_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    done = serializers.IntegerField()
    progress_percent = serializers.IntegerField(allow_null=True)
    outcome = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class JobDetailOutput(JobOutput):
    params = serializers.JSONField()
    log = serializers.SerializerMethodField()

    def get_log(self, job) -> list[dict]:
        return [
            {"at": line.at, "level": line.level, "message": line.message}
            for line in job_log_lines(job=job)
        ]


class JobListApi(AdminApi):
    class StartInput(serializers.Serializer):
        class Meta:
            ref_name = "JobStartInput"

        policy_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        system = SystemCodeField(required=False)
        domain = serializers.CharField(max_length=40, required=False)

        def validate(self, attrs):
            if not attrs.get("policy_id") and not (attrs.get("system") and attrs.get("domain")):
                raise serializers.ValidationError(
                    "Give policy_id (a batch sync), or system and domain (a reconciliation)."
                )
            return attrs

    @extend_schema(responses={200: JobOutput(many=True)})
    def get(self, request):
        params = request.query_params
        return self.paginate(
            request,
            job_run_list(kind=params.get("kind", ""), status=params.get("status", "")),
            JobOutput,
        )

    @extend_schema(request=StartInput, responses={202: JobOutput})
    def post(self, request):
        """Run now: queue a batch sync of a policy, or a reconciliation."""
        data = self.StartInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("policy_id"):
            policy = SyncPolicy.objects.filter(pk=values["policy_id"], enabled=True).first()
            if policy is None:
                raise ApplicationError(
                    "No enabled policy with that id.", code="not_found", status_code=404
                )
            job = job_run_create(
                kind=JobKind.SYNC,
                name=f"Sync {policy}",
                trigger=JobTrigger.MANUAL,
                requested_by=request.user,
                policy=policy,
            )
        else:
            job = job_run_create(
                kind=JobKind.RECONCILE,
                name=f"Reconcile {values['domain']} with {values['system'].code}",
                trigger=JobTrigger.MANUAL,
                requested_by=request.user,
                system=values["system"],
                domain=values["domain"],
            )
        job_run_enqueue(job=job)
        return Response(JobOutput(job).data, status=202)


class JobDetailApi(AdminApi):
    @extend_schema(responses={200: JobDetailOutput})
    def get(self, request, job_id: int):
        return Response(JobDetailOutput(job_run_get(job_id=job_id)).data)


# --- replays -------------------------------------------------------------------------------------


class BulkReplayApi(AdminApi):
    class Input(serializers.Serializer):
        class Meta:
            ref_name = "BulkReplayInput"

        filters = serializers.DictField(
            help_text=f"Any of: {', '.join(REPLAY_FILTER_KEYS)} (at least one)."
        )
        reason = serializers.CharField(max_length=500)

    @extend_schema(request=Input, responses={202: JobOutput})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        job = replay_bulk_start(actor=request.user, **data.validated_data)
        return Response(JobOutput(job).data, status=202)


class ReplayRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    transaction_id = serializers.IntegerField()
    requested_by = serializers.CharField(source="requested_by.username")
    reason = serializers.CharField()
    payload_override = serializers.JSONField(allow_null=True)
    status = serializers.CharField()
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    child_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class ReplayRequestListApi(AdminApi):
    @extend_schema(responses={200: ReplayRequestOutput(many=True)})
    def get(self, request):
        queryset = ReplayRequest.objects.select_related("requested_by", "decided_by")
        status = request.query_params.get("status", ReplayRequestStatus.PENDING)
        if status != "all":
            queryset = queryset.filter(status=status)
        return self.paginate(request, queryset, ReplayRequestOutput)


class ReplayRequestDecisionApi(AdminApi):
    class Input(serializers.Serializer):
        class Meta:
            ref_name = "ReplayDecisionInput"

        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(request=Input, responses={200: ReplayRequestOutput})
    def post(self, request, request_id: int, decision: str):
        replay_request = get_object_or_404(ReplayRequest, pk=request_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        if decision == "approve":
            replay_request_approve(
                request=replay_request, actor=request.user, note=data.validated_data["note"]
            )
        elif decision == "reject":
            replay_request_reject(
                request=replay_request, actor=request.user, note=data.validated_data["note"]
            )
        else:
            raise ApplicationError("Decide approve or reject.", code="not_found", status_code=404)
        replay_request.refresh_from_db()
        return Response(ReplayRequestOutput(replay_request).data)
