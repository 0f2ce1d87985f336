"""Group API: the entities a user may see, the group report (each amount in its own and in the
group currency, with the rate and its date), the stored FX rates and a pull from Odoo. Same roles
and entity scoping as the /entities/ page."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, HasRole
from apps.connectors.models import System
from apps.core.api import IdCursorPagination
from apps.core.errors import ApplicationError, NotFoundError
from apps.entities.models import FxRate
from apps.entities.selectors import entity_list, group_report
from apps.entities.services import fx_rates_pull

READ_ROLES = (PMO, FINANCE, INTEGRATION_ADMIN)
MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 20, "decimal_places": 10}


def _error(description: str) -> OpenApiResponse:
    """A documented refusal in the one error shape (components.ApiError, apps.core.api)."""
    return OpenApiResponse(
        response={"$ref": "#/components/schemas/ApiError"}, description=description
    )


def _paginate(view, request, queryset, serializer):
    paginator = IdCursorPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


# --- entities -----------------------------------------------------------------------------------


class EntityOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    odoo_system = serializers.CharField(source="odoo_system.code", default=None, allow_null=True)
    odoo_company_id = serializers.IntegerField(allow_null=True)
    active = serializers.BooleanField()


class EntityListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(
        responses=EntityOutput(many=True),
        description="The group's entities you may see: members of entities see theirs; "
        "admins and users without entity memberships see every entity.",
    )
    def get(self, request):
        return _paginate(self, request, entity_list(user=request.user), EntityOutput)


class EntityDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    @extend_schema(responses=EntityOutput)
    def get(self, request, entity_id: int):
        entity = entity_list(user=request.user).filter(pk=entity_id).first()
        if entity is None:
            raise NotFoundError(f"No entity {entity_id} that you can see.")
        return Response(EntityOutput(entity).data)


# --- group report -------------------------------------------------------------------------------


class GroupAmountOutput(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    group_amount = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="null: no rate for this currency on the day"
    )
    group_currency = serializers.CharField()
    rate = serializers.DecimalField(
        max_digits=20, decimal_places=6, allow_null=True, help_text="group units per unit"
    )
    rate_date = serializers.DateField(allow_null=True, help_text="the date of the rate used")


class GroupReportEntityOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class GroupReportRowOutput(serializers.Serializer):
    entity = GroupReportEntityOutput(allow_null=True, help_text="null: projects of no entity")
    currency = serializers.CharField()
    budget = GroupAmountOutput()
    committed = GroupAmountOutput()
    actual = GroupAmountOutput()


class GroupReportOutput(serializers.Serializer):
    currency = serializers.CharField(help_text="the group currency (IHUB_GROUP_CURRENCY)")
    on = serializers.DateField()
    complete = serializers.BooleanField(help_text="false: some currency has no rate")
    missing_rates = serializers.ListField(
        child=serializers.CharField(), help_text="currencies without a rate, left out of totals"
    )
    rows = GroupReportRowOutput(many=True)
    totals = serializers.DictField(
        child=serializers.DecimalField(**MONEY), help_text="budget, committed, actual (group)"
    )
    intercompany_eliminated = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="commitments between group entities (group currency)"
    )
    committed_consolidated = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="committed less intercompany"
    )


def _report_data(report: dict) -> dict:
    """The selector's rows with each measure as {amount, currency, group amount, rate, date}."""
    target = report["currency"]
    rows = []
    for row in report["rows"]:
        entity = row["entity"]
        shaped = {
            "entity": (
                {"id": entity.pk, "code": entity.code, "name": entity.name} if entity else None
            ),
            "currency": row["currency"],
        }
        for measure in ("budget", "committed", "actual"):
            group_amount = row.get(f"{measure}_group")
            shaped[measure] = {
                "amount": row[measure],
                "currency": row["currency"],
                "group_amount": group_amount,
                "group_currency": target,
                "rate": row.get("rate") if group_amount is not None else None,
                "rate_date": row.get("rate_date") if group_amount is not None else None,
            }
        rows.append(shaped)
    return {
        "currency": target,
        "on": report["on"],
        "complete": report["complete"],
        "missing_rates": report["missing_rates"],
        "rows": rows,
        "totals": report["totals"],
        "intercompany_eliminated": report.get("intercompany_eliminated"),
        "committed_consolidated": report.get("committed_consolidated"),
    }


class GroupReportApi(APIView):
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    class GroupReportFilter(serializers.Serializer):
        on = serializers.DateField(required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("on", OpenApiTypes.DATE, description="YYYY-MM-DD (default: today)")
        ],
        responses=GroupReportOutput,
        description="The figures of the /entities/ page: budget (original + approved changes), "
        "committed and actual per entity and currency, each in its own currency and in the group "
        "currency with the rate in force on `on` and that rate's date. A currency without a rate "
        "is reported unconverted, left out of the totals and listed in `missing_rates`.",
    )
    def get(self, request):
        filters = self.GroupReportFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        on = filters.validated_data.get("on") or timezone.localdate()
        report = group_report(user=request.user, on=on)
        return Response(GroupReportOutput(_report_data(report)).data)


# --- FX rates -----------------------------------------------------------------------------------


class FxRateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    base_currency = serializers.CharField()
    currency = serializers.CharField()
    rate_date = serializers.DateField()
    rate = serializers.DecimalField(**RATE, help_text="units of currency per one base unit")
    source_system = serializers.CharField(
        source="source_system.code", default=None, allow_null=True
    )
    fetched_at = serializers.DateTimeField()


class FxRateListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = READ_ROLES

    class FxRateFilter(serializers.Serializer):
        base = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
        currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("base", str, description="base (company) currency, e.g. EUR"),
            OpenApiParameter("currency", str, description="quoted currency, e.g. GBP"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="rates dated on/after"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="rates dated on/before"),
        ],
        responses=FxRateOutput(many=True),
        description="Stored dated FX rates (as Odoo keeps them), newest first.",
    )
    def get(self, request):
        filters = self.FxRateFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        queryset = FxRate.objects.select_related("source_system")
        if values.get("base"):
            queryset = queryset.filter(base_currency=values["base"].upper())
        if values.get("currency"):
            queryset = queryset.filter(currency=values["currency"].upper())
        if values.get("date_from"):
            queryset = queryset.filter(rate_date__gte=values["date_from"])
        if values.get("date_to"):
            queryset = queryset.filter(rate_date__lte=values["date_to"])
        return _paginate(self, request, queryset, FxRateOutput)


class FxRatePullApi(APIView):
    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN,)

    class FxRatePullInput(serializers.Serializer):
        system = serializers.CharField(max_length=50, help_text="Odoo System code")
        since = serializers.DateField(required=False, help_text="only rates dated on/after")

    class FxRatePullOutput(serializers.Serializer):
        system = serializers.CharField()
        created = serializers.IntegerField()
        updated = serializers.IntegerField()
        skipped = serializers.IntegerField()

    @extend_schema(
        request=FxRatePullInput,
        responses={
            200: FxRatePullOutput,
            502: _error("The Odoo System could not be read (fx_pull_failed)."),
        },
        description="Pull res.currency.rate from one enabled Odoo System in one batch call "
        "(integration admins). Idempotent per (base, currency, day): a re-pull updates. 404 "
        "when no enabled Odoo System has the code; 502 fx_pull_failed when Odoo cannot be read.",
    )
    def post(self, request):
        data = self.FxRatePullInput(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data["system"]
        system = System.objects.filter(code=code, kind="odoo", enabled=True).first()
        if system is None:
            raise NotFoundError(f"No enabled Odoo System {code!r}.")
        try:
            counts = fx_rates_pull(
                system=system, since=data.validated_data.get("since"), actor=request.user
            )
        except ApplicationError:
            raise
        except Exception as exc:  # a connector failure is the caller's answer, not a server error
            raise ApplicationError(
                f"Pull from {system.code} failed: {exc.__class__.__name__}.",
                code="fx_pull_failed",
                status_code=502,
            ) from exc
        return Response(self.FxRatePullOutput({"system": system.code, **counts}).data)
