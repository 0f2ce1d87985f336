"""Owner billing API: contracts (schedule of values) and pay applications; the approval decision
goes through the approvals API. Role-checked and project-scoped."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import APPROVER, FINANCE, INTEGRATION_ADMIN, PMO, HasRole
from apps.billing import selectors, services
from apps.billing.choices import ProgressSource
from apps.core.api import IdCursorPagination
from apps.projects.selectors import project_get

READ_ROLES = (FINANCE, PMO, APPROVER, INTEGRATION_ADMIN)
WRITE_ROLES = (FINANCE, INTEGRATION_ADMIN)
MONEY = {"max_digits": 18, "decimal_places": 2}
PERCENT = {"max_digits": 7, "decimal_places": 4}


def _paginate(view, request, queryset, serializer):
    paginator = IdCursorPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


class SovLineOutput(serializers.Serializer):
    line_no = serializers.IntegerField()
    cost_code = serializers.CharField(source="cost_code.code")
    description = serializers.CharField()
    scheduled_value = serializers.DecimalField(**MONEY)
    activity_code = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    unit = serializers.CharField()


class ContractOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    project = serializers.CharField(source="project.code")
    title = serializers.CharField()
    customer_name = serializers.CharField()
    customer_ref = serializers.CharField()
    currency = serializers.CharField()
    retention_pct = serializers.DecimalField(**PERCENT)
    status = serializers.CharField()
    original_sum = serializers.DecimalField(**MONEY)
    sov_lines = SovLineOutput(many=True)


class PayApplicationLineOutput(serializers.Serializer):
    line_no = serializers.IntegerField()
    sov_line_no = serializers.IntegerField(source="sov_line.line_no", allow_null=True)
    change_order = serializers.CharField(source="change_order.number", allow_null=True)
    cost_code = serializers.CharField()
    description = serializers.CharField()
    scheduled_value = serializers.DecimalField(**MONEY)
    percent_to_date = serializers.DecimalField(**PERCENT)
    quantity_to_date = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    previous_value = serializers.DecimalField(**MONEY)
    this_period_value = serializers.DecimalField(**MONEY)
    to_date_value = serializers.DecimalField(**MONEY)


class PayApplicationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    contract = serializers.CharField(source="contract.number")
    project = serializers.CharField(source="project.code")
    sequence = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    progress_source = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    retention_pct = serializers.DecimalField(**PERCENT)
    contract_sum_to_date = serializers.DecimalField(**MONEY)
    change_orders_to_date = serializers.DecimalField(**MONEY)
    completed_previous = serializers.DecimalField(**MONEY)
    completed_this_period = serializers.DecimalField(**MONEY)
    completed_to_date = serializers.DecimalField(**MONEY)
    retention_to_date = serializers.DecimalField(**MONEY)
    retention_this_period = serializers.DecimalField(**MONEY)
    amount_due = serializers.DecimalField(**MONEY)
    external_ref = serializers.CharField()
    odoo_name = serializers.CharField()
    odoo_state = serializers.CharField()
    payment_state = serializers.CharField()
    paid_amount = serializers.DecimalField(**MONEY)
    approved_at = serializers.DateTimeField(allow_null=True)


class PayApplicationDetailOutput(PayApplicationOutput):
    lines = PayApplicationLineOutput(many=True)


class ContractListApi(APIView):
    """Owner contracts the reader can see; finance creates them with their schedule of values."""

    pagination_class = IdCursorPagination  # documents the paginated list in the schema

    permission_classes = [HasRole]
    required_roles = READ_ROLES
    write_roles = WRITE_ROLES

    class ContractInput(serializers.Serializer):
        class SovLineInput(serializers.Serializer):
            cost_code = serializers.CharField(max_length=20)
            description = serializers.CharField(max_length=255, required=False, allow_blank=True)
            scheduled_value = serializers.DecimalField(**MONEY)
            activity_code = serializers.CharField(max_length=120, required=False, allow_blank=True)
            quantity = serializers.DecimalField(
                max_digits=18, decimal_places=4, required=False, allow_null=True
            )
            unit = serializers.CharField(max_length=20, required=False, allow_blank=True)

        project = serializers.CharField(help_text="project code")
        number = serializers.CharField(max_length=40)
        title = serializers.CharField(max_length=255, required=False, allow_blank=True)
        customer_name = serializers.CharField(max_length=200)
        customer_ref = serializers.CharField(max_length=64)
        retention_pct = serializers.DecimalField(**PERCENT, default=0)
        lines = SovLineInput(many=True, allow_empty=False)

    @extend_schema(
        operation_id="billing_contracts_list",
        parameters=[OpenApiParameter("project", str, description="project code")],
        responses=ContractOutput(many=True),
    )
    def get(self, request):
        queryset = selectors.owner_contract_list(
            user=request.user, project_code=request.query_params.get("project", "")
        ).prefetch_related("sov_lines__cost_code")
        return _paginate(self, request, queryset, ContractOutput)

    @extend_schema(
        operation_id="billing_contracts_create",
        request=ContractInput,
        responses={201: ContractOutput},
    )
    def post(self, request):
        data = self.ContractInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = project_get(user=request.user, code=values.pop("project"))
        contract = services.owner_contract_create(project=project, actor=request.user, **values)
        return Response(ContractOutput(contract).data, status=status.HTTP_201_CREATED)


class ContractDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(operation_id="billing_contracts_retrieve", responses=ContractOutput)
    def get(self, request, contract_id: int):
        contract = selectors.owner_contract_get(user=request.user, contract_id=contract_id)
        return Response(ContractOutput(contract).data)


class PayApplicationListApi(APIView):
    """Pay applications the reader can see; finance computes a new one for a period."""

    pagination_class = IdCursorPagination  # documents the paginated list in the schema

    permission_classes = [HasRole]
    required_roles = READ_ROLES
    write_roles = WRITE_ROLES

    class PayApplicationInput(serializers.Serializer):
        contract = serializers.IntegerField(help_text="owner contract id")
        period_start = serializers.DateField()
        period_end = serializers.DateField()
        progress_source = serializers.ChoiceField(
            choices=ProgressSource.choices, default=ProgressSource.SCHEDULE
        )
        entries = serializers.DictField(
            required=False,
            help_text='Per SOV line number or change order number: {"percent": ..} or '
            '{"quantity": ..} (overrides the schedule)',
        )

    @extend_schema(
        operation_id="billing_pay_applications_list",
        parameters=[
            OpenApiParameter("contract", int, description="owner contract id"),
            OpenApiParameter("status", str),
        ],
        responses=PayApplicationOutput(many=True),
    )
    def get(self, request):
        try:
            contract_id = int(request.query_params.get("contract") or 0) or None
        except ValueError:
            contract_id = -1
        queryset = selectors.pay_application_list(
            user=request.user,
            contract_id=contract_id,
            status=request.query_params.get("status", ""),
        )
        return _paginate(self, request, queryset, PayApplicationOutput)

    @extend_schema(
        operation_id="billing_pay_applications_create",
        request=PayApplicationInput,
        responses={201: PayApplicationDetailOutput},
    )
    def post(self, request):
        data = self.PayApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        contract = selectors.owner_contract_get(user=request.user, contract_id=values["contract"])
        app = services.pay_application_create(
            contract=contract,
            actor=request.user,
            period_start=values["period_start"],
            period_end=values["period_end"],
            progress_source=values["progress_source"],
            entries=values.get("entries") or {},
        )
        return Response(PayApplicationDetailOutput(app).data, status=status.HTTP_201_CREATED)


class PayApplicationDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(
        operation_id="billing_pay_applications_retrieve", responses=PayApplicationDetailOutput
    )
    def get(self, request, pay_application_id: int):
        app = selectors.pay_application_get(
            user=request.user, pay_application_id=pay_application_id
        )
        return Response(PayApplicationDetailOutput(app).data)


class PayApplicationActionApi(APIView):
    """POST submit (for approval by a second person) or cancel."""

    permission_classes = [HasRole]
    required_roles = READ_ROLES
    write_roles = WRITE_ROLES
    action = ""

    @extend_schema(request=None, responses=PayApplicationOutput)
    def post(self, request, pay_application_id: int):
        app = selectors.pay_application_get(
            user=request.user, pay_application_id=pay_application_id
        )
        if self.action == "submit":
            app = services.pay_application_submit(pay_application=app, actor=request.user)
        else:
            app = services.pay_application_cancel(pay_application=app, actor=request.user)
        return Response(PayApplicationOutput(app).data)


class PayApplicationSubmitApi(PayApplicationActionApi):
    action = "submit"

    @extend_schema(
        operation_id="billing_pay_applications_submit",
        request=None,
        responses=PayApplicationOutput,
    )
    def post(self, request, pay_application_id: int):
        return super().post(request, pay_application_id)


class PayApplicationCancelApi(PayApplicationActionApi):
    action = "cancel"

    @extend_schema(
        operation_id="billing_pay_applications_cancel",
        request=None,
        responses=PayApplicationOutput,
    )
    def post(self, request, pay_application_id: int):
        return super().post(request, pay_application_id)
