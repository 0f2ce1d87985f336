"""Manual invoice match on an exception item over the API, with the queue's roles and project
scope: POST .../manual-match/preview/ (the variance, nothing written) and .../manual-match/
(record it; resolves the item, or leaves it waiting for the variance approval)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import HasRole
from apps.exceptions import selectors
from apps.exceptions.api.views import QUEUE_ROLES, ExceptionItemDetailOutput
from apps.exceptions.manual_match import exception_manual_match, exception_manual_match_preview


class AllocationInput(serializers.Serializer):
    invoice_line = serializers.IntegerField(help_text="Bill line id")
    commitment_line = serializers.IntegerField(help_text="Purchase-order line id")
    receipts = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="Receipt ids"
    )


class ManualMatchInput(serializers.Serializer):
    allocations = AllocationInput(many=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PreviewLineOutput(serializers.Serializer):
    invoice_line = serializers.IntegerField()
    line_no = serializers.IntegerField()
    description = serializers.CharField()
    commitment_line = serializers.IntegerField()
    commitment_line_no = serializers.IntegerField()
    receipts = serializers.ListField(child=serializers.CharField())
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=4)
    ordered = serializers.DecimalField(max_digits=18, decimal_places=4)
    received = serializers.DecimalField(max_digits=18, decimal_places=4)
    picked_received = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    billed_before = serializers.DecimalField(max_digits=18, decimal_places=4)
    po_unit_price = serializers.DecimalField(max_digits=18, decimal_places=4)
    quantity_variance = serializers.DecimalField(max_digits=18, decimal_places=4)
    price_variance = serializers.DecimalField(max_digits=18, decimal_places=4)
    quantity_variance_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    price_variance_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    amount_variance = serializers.DecimalField(max_digits=18, decimal_places=2)
    status = serializers.CharField()


class PreviewOutput(serializers.Serializer):
    commitment_number = serializers.CharField()
    currency = serializers.CharField()
    outcome = serializers.CharField()
    needs_approval = serializers.BooleanField()
    variance_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    lines = PreviewLineOutput(many=True)
    reasons = serializers.ListField(child=serializers.DictField())


class _ManualMatchBase(APIView):
    permission_classes = [HasRole]
    required_roles = QUEUE_ROLES

    def _input(self, request):
        serializer = ManualMatchInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ExceptionManualMatchPreviewApi(_ManualMatchBase):
    @extend_schema(
        request=ManualMatchInput,
        responses=PreviewOutput,
        operation_id="exceptions_manual_match_preview",
    )
    def post(self, request, item_id: int):
        item = selectors.exception_get(user=request.user, item_id=item_id)
        data = self._input(request)
        preview = exception_manual_match_preview(
            item=item, allocations=data["allocations"], user=request.user
        )
        return Response(PreviewOutput(preview).data)


class ManualMatchOutput(serializers.Serializer):
    item = ExceptionItemDetailOutput()
    outcome = serializers.CharField()
    preview = PreviewOutput()
    posting_request = serializers.IntegerField(allow_null=True)
    variance_request = serializers.IntegerField(allow_null=True)


class ExceptionManualMatchApi(_ManualMatchBase):
    @extend_schema(
        request=ManualMatchInput,
        responses=ManualMatchOutput,
        operation_id="exceptions_manual_match",
    )
    def post(self, request, item_id: int):
        item = selectors.exception_get(user=request.user, item_id=item_id)
        data = self._input(request)
        result = exception_manual_match(
            item=item, actor=request.user, allocations=data["allocations"], note=data["note"]
        )
        item = selectors.exception_get(user=request.user, item_id=item.pk)
        return Response(
            ManualMatchOutput(
                {
                    "item": item,
                    "outcome": result.match.outcome,
                    "preview": result.preview,
                    "posting_request": getattr(result.posting_request, "pk", None),
                    "variance_request": getattr(result.variance_request, "pk", None),
                }
            ).data
        )
