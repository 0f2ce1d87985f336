"""Procurement API: budget check, budget lines, requisitions, commitments (with receipts) and
vendor bills. Role-checked and project-scoped; money is a string with its currency."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import APPROVER, FINANCE, INTEGRATION_ADMIN, PMO, REQUESTER, HasRole
from apps.core.api import MAX_ID, IdCursorPagination
from apps.procurement.choices import CommitmentKind
from apps.procurement.selectors import (
    commitment_get,
    commitment_list,
    invoice_get,
    invoice_list,
    requisition_get,
    requisition_list,
    vendor_get,
)
from apps.procurement.services import receipt_record, requisition_create, requisition_submit
from apps.projects.selectors import (
    BudgetCheckItem,
    budget_check,
    budget_line_figures,
    budget_line_list,
    project_get,
)

READ_ROLES = (FINANCE, REQUESTER, APPROVER, PMO, INTEGRATION_ADMIN)
MONEY = {"max_digits": 18, "decimal_places": 2}
QUANTITY = {"max_digits": 18, "decimal_places": 4}


def _paginate(view, request, queryset, serializer):
    paginator = IdCursorPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


# --- budget check -----------------------------------------------------------------------------


def _project_param(request):
    """The `?project=<code>` filter as a visible Project (404 otherwise), or None when absent."""
    code = request.query_params.get("project")
    return project_get(user=request.user, code=code) if code else None


class BudgetCheckApi(APIView):
    """Answer available / warn / block for amounts on cost codes, with the figures behind it."""

    permission_classes = [HasRole]
    required_roles = (REQUESTER, APPROVER, FINANCE, PMO, INTEGRATION_ADMIN)

    class BudgetCheckInput(serializers.Serializer):
        class BudgetCheckLineInput(serializers.Serializer):
            cost_code = serializers.CharField(max_length=20)
            phase = serializers.CharField(max_length=20, required=False, allow_blank=True)
            amount = serializers.DecimalField(**MONEY)

        project = serializers.CharField(help_text="project code")
        lines = BudgetCheckLineInput(many=True, allow_empty=False)

    class BudgetCheckOutput(serializers.Serializer):
        class BudgetCheckLineOutput(serializers.Serializer):
            phase = serializers.CharField()
            cost_code = serializers.CharField()
            budget_line_ids = serializers.ListField(child=serializers.IntegerField())
            revised = serializers.DecimalField(**MONEY)
            committed = serializers.DecimalField(**MONEY)
            pending_commitments = serializers.DecimalField(**MONEY)
            available = serializers.DecimalField(**MONEY)
            requested = serializers.DecimalField(**MONEY)
            available_after = serializers.DecimalField(**MONEY)
            utilisation_after_pct = serializers.DecimalField(
                max_digits=12, decimal_places=1, allow_null=True
            )
            outcome = serializers.ChoiceField(choices=["available", "warn", "block"])
            reason = serializers.CharField()

        class BudgetCheckPolicyOutput(serializers.Serializer):
            budget_policy = serializers.CharField()
            warn_at_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
            overrun_block_pct = serializers.DecimalField(
                max_digits=5, decimal_places=2, allow_null=True
            )

        outcome = serializers.ChoiceField(choices=["available", "warn", "block"])
        project = serializers.CharField()
        currency = serializers.CharField()
        policy = BudgetCheckPolicyOutput()
        requested_total = serializers.DecimalField(**MONEY)
        lines = BudgetCheckLineOutput(many=True)

    @extend_schema(
        request=BudgetCheckInput,
        responses=BudgetCheckOutput,
        description=(
            "Checks amounts against the available budget (revised − committed − pending) of "
            "each cost code (in one phase, or all phases when none is given) and answers per "
            "the project's policy: available, warn (above the warning threshold, or an allowed "
            "overrun) or block. Nothing is reserved."
        ),
    )
    def post(self, request):
        data = self.BudgetCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_get(user=request.user, code=data.validated_data["project"])
        result = budget_check(
            project=project,
            items=[
                BudgetCheckItem(
                    cost_code=line["cost_code"].strip(),
                    phase=(line.get("phase") or "").strip(),
                    amount=line["amount"],
                )
                for line in data.validated_data["lines"]
            ],
        )
        return Response(self.BudgetCheckOutput(result.as_dict()).data)


# --- budget lines -------------------------------------------------------------------------------


class BudgetFiguresOutput(serializers.Serializer):
    original = serializers.DecimalField(**MONEY)
    approved_changes = serializers.DecimalField(**MONEY)
    revised = serializers.DecimalField(**MONEY)
    committed = serializers.DecimalField(**MONEY)
    pending_commitments = serializers.DecimalField(**MONEY)
    actual = serializers.DecimalField(**MONEY)
    invoiced = serializers.DecimalField(**MONEY)
    available = serializers.DecimalField(**MONEY)
    estimate_to_complete = serializers.DecimalField(**MONEY, allow_null=True)
    forecast_at_completion = serializers.DecimalField(**MONEY)
    variance_at_completion = serializers.DecimalField(**MONEY)


class BudgetLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField(source="project.code")
    phase = serializers.CharField(source="phase.code")
    phase_name = serializers.CharField(source="phase.name")
    cost_code = serializers.CharField(source="cost_code.code")
    cost_code_title = serializers.CharField(source="cost_code.title")
    description = serializers.CharField()
    currency = serializers.CharField()
    figures = serializers.SerializerMethodField()

    @extend_schema_field(BudgetFiguresOutput)
    def get_figures(self, line) -> dict:
        return BudgetFiguresOutput(budget_line_figures(line)).data


class BudgetLineListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, description="project code"),
            OpenApiParameter("phase", str, description="phase code"),
            OpenApiParameter("cost_code", str, description="cost code or prefix ('03')"),
        ],
        responses=BudgetLineOutput(many=True),
        description="Budget lines of your projects with every figure.",
    )
    def get(self, request):
        project = _project_param(request)
        queryset = budget_line_list(
            user=request.user,
            project=project,
            phase=request.query_params.get("phase", ""),
            cost_code=request.query_params.get("cost_code", ""),
        )
        return _paginate(self, request, queryset, BudgetLineOutput)


# --- requisitions -------------------------------------------------------------------------------


class RequisitionLineOutput(serializers.Serializer):
    line_no = serializers.IntegerField()
    budget_line_id = serializers.IntegerField()
    phase = serializers.CharField(source="budget_line.phase.code")
    cost_code = serializers.CharField(source="budget_line.cost_code.code")
    description = serializers.CharField()
    quantity = serializers.DecimalField(**QUANTITY)
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=4)
    amount = serializers.DecimalField(**MONEY)


class RequisitionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    project = serializers.CharField(source="project.code")
    title = serializers.CharField()
    kind = serializers.CharField()
    vendor = serializers.CharField(source="vendor.code", default=None, allow_null=True)
    status = serializers.CharField()
    currency = serializers.CharField()
    total_amount = serializers.DecimalField(**MONEY)
    requested_by = serializers.CharField(source="requested_by.username")
    needed_by = serializers.DateField(allow_null=True)
    budget_check = serializers.JSONField()
    override_reason = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class RequisitionDetailOutput(RequisitionOutput):
    lines = RequisitionLineOutput(many=True, source="lines.all")


class RequisitionListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = READ_ROLES
    write_roles = (REQUESTER,)

    class RequisitionCreateInput(serializers.Serializer):
        class RequisitionCreateLineInput(serializers.Serializer):
            budget_line_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
            phase = serializers.CharField(max_length=20, required=False, allow_blank=True)
            cost_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
            description = serializers.CharField(max_length=255, required=False, allow_blank=True)
            quantity = serializers.DecimalField(**QUANTITY)
            unit = serializers.CharField(max_length=20, required=False, default="ea")
            unit_price = serializers.DecimalField(max_digits=18, decimal_places=4)

        project = serializers.CharField(help_text="project code")
        title = serializers.CharField(max_length=255)
        vendor = serializers.CharField(required=False, allow_blank=True, help_text="vendor code")
        kind = serializers.ChoiceField(
            choices=CommitmentKind.choices, default=CommitmentKind.PURCHASE_ORDER
        )
        needed_by = serializers.DateField(required=False, allow_null=True)
        lines = RequisitionCreateLineInput(many=True, allow_empty=False)
        submit = serializers.BooleanField(
            default=True, help_text="submit at once (budget check, then approval)"
        )
        override_reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, description="project code"),
            OpenApiParameter("status", str),
        ],
        responses=RequisitionOutput(many=True),
    )
    def get(self, request):
        project = _project_param(request)
        queryset = requisition_list(
            user=request.user, project=project, status=request.query_params.get("status", "")
        )
        return _paginate(self, request, queryset, RequisitionOutput)

    @extend_schema(
        request=RequisitionCreateInput,
        responses={201: RequisitionDetailOutput},
        description=(
            "Create a requisition (requesters). With submit (default) the budget is checked and "
            "reserved and approval is requested; a blocked check answers 409 budget_blocked "
            "with the figures unless an override_reason asks for a control override."
        ),
    )
    def post(self, request):
        data = self.RequisitionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        project = project_get(user=request.user, code=values["project"])
        vendor = vendor_get(code=values["vendor"]) if values.get("vendor") else None
        requisition = requisition_create(
            project=project,
            requested_by=request.user,
            title=values["title"],
            vendor=vendor,
            kind=values["kind"],
            needed_by=values.get("needed_by"),
            lines=[dict(line) for line in values["lines"]],
        )
        if values["submit"]:
            requisition_submit(
                requisition=requisition,
                actor=request.user,
                override_reason=values.get("override_reason", ""),
            )
        requisition = requisition_get(user=request.user, requisition_id=requisition.id)
        return Response(RequisitionDetailOutput(requisition).data, status=status.HTTP_201_CREATED)


class RequisitionDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(responses=RequisitionDetailOutput)
    def get(self, request, requisition_id: int):
        requisition = requisition_get(user=request.user, requisition_id=requisition_id)
        return Response(RequisitionDetailOutput(requisition).data)


class RequisitionSubmitApi(APIView):
    permission_classes = [HasRole]
    required_roles = (REQUESTER,)

    class RequisitionSubmitInput(serializers.Serializer):
        override_reason = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=RequisitionSubmitInput, responses=RequisitionDetailOutput)
    def post(self, request, requisition_id: int):
        data = self.RequisitionSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        requisition = requisition_get(user=request.user, requisition_id=requisition_id)
        requisition_submit(
            requisition=requisition,
            actor=request.user,
            override_reason=data.validated_data["override_reason"],
        )
        requisition = requisition_get(user=request.user, requisition_id=requisition_id)
        return Response(RequisitionDetailOutput(requisition).data)


# --- commitments --------------------------------------------------------------------------------


class CommitmentLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    line_no = serializers.IntegerField()
    phase = serializers.CharField(source="budget_line.phase.code")
    cost_code = serializers.CharField(source="budget_line.cost_code.code")
    description = serializers.CharField()
    quantity = serializers.DecimalField(**QUANTITY)
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=4)
    amount = serializers.DecimalField(**MONEY)
    billing_basis = serializers.CharField()
    received_quantity = serializers.DecimalField(**QUANTITY)
    invoiced_quantity = serializers.DecimalField(**QUANTITY)
    invoiced_amount = serializers.DecimalField(**MONEY)


class CommitmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.CharField()
    project = serializers.CharField(source="project.code")
    vendor = serializers.CharField(source="vendor.code")
    vendor_name = serializers.CharField(source="vendor.name")
    title = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    total_amount = serializers.DecimalField(**MONEY)
    retention_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    retention_held = serializers.DecimalField(**MONEY)
    retention_released = serializers.DecimalField(**MONEY)
    external_ref = serializers.CharField()
    approved_at = serializers.DateTimeField(allow_null=True)
    issued_at = serializers.DateTimeField(allow_null=True)


class CommitmentDetailOutput(CommitmentOutput):
    lines = CommitmentLineOutput(many=True, source="lines.all")


class CommitmentListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, description="project code"),
            OpenApiParameter("status", str),
            OpenApiParameter("kind", str, enum=CommitmentKind.values),
        ],
        responses=CommitmentOutput(many=True),
    )
    def get(self, request):
        project = _project_param(request)
        queryset = commitment_list(
            user=request.user,
            project=project,
            status=request.query_params.get("status", ""),
            kind=request.query_params.get("kind", ""),
        )
        return _paginate(self, request, queryset, CommitmentOutput)


class CommitmentDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(responses=CommitmentDetailOutput)
    def get(self, request, commitment_id: int):
        commitment = commitment_get(user=request.user, commitment_id=commitment_id)
        return Response(CommitmentDetailOutput(commitment).data)


class ReceiptCreateApi(APIView):
    """Confirm goods received on site (field apps); the PO's approver is refused (SoD)."""

    permission_classes = [HasRole]
    required_roles = (REQUESTER, FINANCE)

    class ReceiptCreateInput(serializers.Serializer):
        class ReceiptCreateLineInput(serializers.Serializer):
            commitment_line = serializers.IntegerField()
            quantity = serializers.DecimalField(**QUANTITY)

        received_on = serializers.DateField(required=False)
        reference = serializers.CharField(required=False, allow_blank=True, default="")
        lines = ReceiptCreateLineInput(many=True, allow_empty=False)

    class ReceiptCreateOutput(serializers.Serializer):
        id = serializers.IntegerField()
        number = serializers.CharField()
        commitment = serializers.CharField(source="commitment.number")
        received_on = serializers.DateField()
        received_by = serializers.CharField(source="received_by.username")

    @extend_schema(request=ReceiptCreateInput, responses={201: ReceiptCreateOutput})
    def post(self, request, commitment_id: int):
        data = self.ReceiptCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        commitment = commitment_get(user=request.user, commitment_id=commitment_id)
        receipt = receipt_record(
            commitment=commitment,
            received_by=request.user,
            received_on=data.validated_data.get("received_on"),
            reference=data.validated_data["reference"],
            lines=[dict(line) for line in data.validated_data["lines"]],
        )
        return Response(self.ReceiptCreateOutput(receipt).data, status=status.HTTP_201_CREATED)


# --- invoices -----------------------------------------------------------------------------------


class InvoiceLineOutput(serializers.Serializer):
    line_no = serializers.IntegerField()
    commitment_line_id = serializers.IntegerField(allow_null=True)
    description = serializers.CharField()
    quantity = serializers.DecimalField(**QUANTITY)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=4)
    amount = serializers.DecimalField(**MONEY)
    match_status = serializers.CharField()
    match_reasons = serializers.JSONField()
    quantity_variance = serializers.DecimalField(**QUANTITY)
    price_variance = serializers.DecimalField(**MONEY)


class InvoiceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    number = serializers.CharField()
    vendor = serializers.CharField(source="vendor.code")
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    commitment = serializers.CharField(source="commitment.number", default=None, allow_null=True)
    invoice_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(**MONEY)
    tax_amount = serializers.DecimalField(**MONEY)
    retention_withheld = serializers.DecimalField(**MONEY)
    retention_released = serializers.DecimalField(**MONEY)
    payable_amount = serializers.DecimalField(**MONEY)
    paid_amount = serializers.DecimalField(**MONEY)
    status = serializers.CharField()
    match_status = serializers.CharField()
    match_reasons = serializers.JSONField()
    variance_amount = serializers.DecimalField(**MONEY)
    payment_hold = serializers.BooleanField()
    external_ref = serializers.CharField()


class InvoiceDetailOutput(InvoiceOutput):
    lines = InvoiceLineOutput(many=True, source="lines.all")


class InvoiceListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = (FINANCE, APPROVER, PMO, INTEGRATION_ADMIN)

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, description="project code"),
            OpenApiParameter("status", str),
            OpenApiParameter("match_status", str),
        ],
        responses=InvoiceOutput(many=True),
    )
    def get(self, request):
        project = _project_param(request)
        queryset = invoice_list(
            user=request.user,
            project=project,
            status=request.query_params.get("status", ""),
            match_status=request.query_params.get("match_status", ""),
        )
        return _paginate(self, request, queryset, InvoiceOutput)


class InvoiceDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = (FINANCE, APPROVER, PMO, INTEGRATION_ADMIN)

    @extend_schema(responses=InvoiceDetailOutput)
    def get(self, request, invoice_id: int):
        invoice = invoice_get(user=request.user, invoice_id=invoice_id)
        return Response(InvoiceDetailOutput(invoice).data)
