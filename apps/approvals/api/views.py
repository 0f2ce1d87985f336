"""Approvals API: what waits for me, and one-call approve / reject with a comment."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import APPROVER, FINANCE, REQUESTER, HasRole
from apps.approvals.choices import Decision
from apps.approvals.selectors import approval_request_get, approval_waiting_for
from apps.approvals.services import approval_decide

APPROVAL_ROLES = (REQUESTER, APPROVER, FINANCE)


class StepOutput(serializers.Serializer):
    level = serializers.IntegerField()
    status = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    escalation_level = serializers.IntegerField()
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    on_behalf_of = serializers.CharField(
        source="on_behalf_of.username", default=None, allow_null=True
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField()


class ApprovalRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    document_type = serializers.CharField()
    document = serializers.CharField(source="target", default="")
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    title = serializers.CharField()
    summary = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    cost_codes = serializers.ListField(child=serializers.CharField())
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, allow_null=True
    )
    status = serializers.CharField()
    required_levels = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    steps = StepOutput(many=True, source="steps.all")


class WaitingForMeApi(APIView):
    permission_classes = [HasRole]
    required_roles = APPROVAL_ROLES

    @extend_schema(
        responses=ApprovalRequestOutput(many=True),
        description="Requests whose current step you may decide now (also as a delegate).",
    )
    def get(self, request):
        rows = approval_waiting_for(user=request.user, limit=200)
        return Response(ApprovalRequestOutput([row["request"] for row in rows], many=True).data)


class _DecisionApi(APIView):
    permission_classes = [HasRole]
    required_roles = APPROVAL_ROLES
    decision = ""

    class DecisionInput(serializers.Serializer):
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    def post(self, request, request_id: int):
        data = self.DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        approval = approval_request_get(user=request.user, request_id=request_id)
        approval_decide(
            request_id=approval.id,
            actor=request.user,
            decision=self.decision,
            comment=data.validated_data["comment"],
        )
        approval = approval_request_get(user=request.user, request_id=request_id)
        return Response(ApprovalRequestOutput(approval).data)


class ApproveApi(_DecisionApi):
    decision = Decision.APPROVE

    @extend_schema(
        request=_DecisionApi.DecisionInput,
        responses=ApprovalRequestOutput,
        description=(
            "Approve the current step. Refused with 403 and a precise code when your authority "
            "does not cover it (no_authority, authority_limit_exceeded, cost_code_out_of_scope, "
            "authority_level_too_low) or segregation of duties forbids it (sod_self_approval, "
            "sod_repeat_approver); 409 when the request is no longer pending."
        ),
    )
    def post(self, request, request_id: int):
        return super().post(request, request_id)


class RejectApi(_DecisionApi):
    decision = Decision.REJECT

    @extend_schema(
        request=_DecisionApi.DecisionInput,
        responses=ApprovalRequestOutput,
        description="Reject the request (a comment is required).",
    )
    def post(self, request, request_id: int):
        return super().post(request, request_id)
