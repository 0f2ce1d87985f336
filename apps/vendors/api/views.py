"""Vendor master protection API: bank-detail changes (values masked, never in full) verified by
a second person or rejected, and suspected duplicate vendors linked or merged. Finance and
integration admins, as on the /vendors/ pages; the apps.vendors services decide."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, HasRole
from apps.core.api import IdCursorPagination
from apps.core.errors import ApplicationError, NotFoundError
from apps.procurement.selectors import vendor_get
from apps.vendors.choices import CALLBACK_CHECKLIST, ChangeStatus, DuplicateStatus
from apps.vendors.models import BankDetailChange, DuplicateVendorCandidate
from apps.vendors.selectors import bank_change_list, bank_change_rows, duplicate_list
from apps.vendors.services import (
    vendor_bank_change_reject,
    vendor_bank_change_verify,
    vendor_duplicate_resolve,
)

ROLES = (FINANCE, INTEGRATION_ADMIN)


def _error(description: str) -> OpenApiResponse:
    """A documented refusal in the one error shape (components.ApiError, apps.core.api)."""
    return OpenApiResponse(
        response={"$ref": "#/components/schemas/ApiError"}, description=description
    )


def _paginate(view, request, queryset, serializer):
    paginator = IdCursorPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


# --- bank-detail changes ------------------------------------------------------------------------


class BankChangeFieldOutput(serializers.Serializer):
    label = serializers.CharField()
    old = serializers.CharField(help_text="masked")
    new = serializers.CharField(help_text="masked")


class BankChangeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = serializers.CharField(source="vendor.code")
    vendor_name = serializers.CharField(source="vendor.name")
    source = serializers.CharField()
    system = serializers.CharField(source="system.code", default=None, allow_null=True)
    status = serializers.CharField()
    values = serializers.SerializerMethodField(help_text="old and new value per field, masked")
    entered_by = serializers.SerializerMethodField()
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    checklist = serializers.DictField(child=serializers.BooleanField())
    trace_key = serializers.CharField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(BankChangeFieldOutput(many=True))
    def get_values(self, change) -> list[dict]:
        return BankChangeFieldOutput(bank_change_rows(change=change), many=True).data

    def get_entered_by(self, change) -> str:
        if change.entered_by_id:
            return change.entered_by.get_username()
        return change.entered_by_label


def _bank_change(change_id: int) -> BankDetailChange:
    change = bank_change_list().filter(pk=change_id).first()
    if change is None:
        raise NotFoundError(f"No bank-detail change {change_id}.")
    return change


class BankChangeListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = ROLES

    class BankChangeFilter(serializers.Serializer):
        status = serializers.ChoiceField(choices=ChangeStatus.values, required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ChangeStatus.values, description="default: all")
        ],
        responses=BankChangeOutput(many=True),
        description="Changes to vendor bank details and tax ids, newest first. Values are "
        "masked; the full values are never returned.",
    )
    def get(self, request):
        filters = self.BankChangeFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = bank_change_list(status=filters.validated_data.get("status"))
        return _paginate(self, request, queryset, BankChangeOutput)


class BankChangeDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = ROLES

    @extend_schema(responses=BankChangeOutput)
    def get(self, request, bank_change_id: int):
        return Response(BankChangeOutput(_bank_change(bank_change_id)).data)


class BankChangeVerifyApi(APIView):
    permission_classes = [HasRole]
    required_roles = ROLES

    class BankChangeVerifyInput(serializers.Serializer):
        class CallbackChecklistInput(serializers.Serializer):
            called_known_number = serializers.BooleanField(default=False)
            contact_confirmed_change = serializers.BooleanField(default=False)
            account_holder_matches = serializers.BooleanField(default=False)
            documentation_on_file = serializers.BooleanField(default=False)

        checklist = CallbackChecklistInput(help_text="every call-back item must be true")
        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        request=BankChangeVerifyInput,
        responses={
            200: BankChangeOutput,
            403: _error(
                "Not finance/admin (permission_denied), or the person who entered the change "
                "(same_person): a second person must verify it."
            ),
            409: _error("The change is no longer pending (bank_change_decided)."),
        },
        description="A second person confirms the change after the call-back: the new values "
        "apply, the verification item is resolved and held payments are released. Refusals: "
        "403 same_person (the person who entered the change), 400 checklist_incomplete (with "
        "details.missing), 409 bank_change_decided (no longer pending).",
    )
    def post(self, request, bank_change_id: int):
        change = _bank_change(bank_change_id)
        data = self.BankChangeVerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        checklist = data.validated_data["checklist"]
        change = vendor_bank_change_verify(
            change=change,
            actor=request.user,
            checklist={key: bool(checklist.get(key)) for key in CALLBACK_CHECKLIST},
            note=data.validated_data["note"],
        )
        return Response(BankChangeOutput(_bank_change(change.pk)).data)


class BankChangeRejectApi(APIView):
    permission_classes = [HasRole]
    required_roles = ROLES

    class BankChangeRejectInput(serializers.Serializer):
        note = serializers.CharField(max_length=2000, help_text="why the change is rejected")

    @extend_schema(
        request=BankChangeRejectInput,
        responses={
            200: BankChangeOutput,
            409: _error("The change is no longer pending (bank_change_decided)."),
        },
        description="Refuse a change (the call-back showed it is not genuine): the vendor keeps "
        "its details, the item is resolved and held payments are released. 409 "
        "bank_change_decided when it is no longer pending.",
    )
    def post(self, request, bank_change_id: int):
        change = _bank_change(bank_change_id)
        data = self.BankChangeRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = vendor_bank_change_reject(
            change=change, actor=request.user, reason=data.validated_data["note"]
        )
        return Response(BankChangeOutput(_bank_change(change.pk)).data)


# --- duplicates ---------------------------------------------------------------------------------


class DuplicateVendorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class DuplicateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = DuplicateVendorOutput()
    other = DuplicateVendorOutput()
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="same_tax_id, same_bank_account, similar_name"
    )
    score = serializers.DecimalField(max_digits=4, decimal_places=2)
    status = serializers.CharField()
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class DuplicateListApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [HasRole]
    required_roles = ROLES

    class DuplicateFilter(serializers.Serializer):
        status = serializers.ChoiceField(choices=DuplicateStatus.values, required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=DuplicateStatus.values, description="default: all")
        ],
        responses=DuplicateOutput(many=True),
        description="Suspected duplicate vendor pairs with the reasons (recorded by the daily "
        "vendor_duplicates_detect schedule or the page).",
    )
    def get(self, request):
        filters = self.DuplicateFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = duplicate_list(status=filters.validated_data.get("status"))
        return _paginate(self, request, queryset, DuplicateOutput)


class DuplicateResolveApi(APIView):
    """Link (both records stay, recorded as one party) or merge (the other's bindings and codes
    move to the survivor, the other is blocked) a suspected pair."""

    permission_classes = [HasRole]
    required_roles = ROLES
    action = "link"  # set per route

    class DuplicateResolveInput(serializers.Serializer):
        survivor = serializers.CharField(max_length=40, help_text="vendor code that stays")
        other = serializers.CharField(max_length=40, help_text="vendor code of the pair's other")
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    @extend_schema(
        request=DuplicateResolveInput,
        responses=DuplicateOutput,
        description="Link or merge a recorded suspected pair (by vendor codes). 404 when a "
        "vendor does not exist or the two are not a recorded pair "
        "(duplicate_pair_not_found); 400 same_vendor, or duplicate_decided when the pair was "
        "already decided.",
    )
    def post(self, request):
        data = self.DuplicateResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        survivor = vendor_get(code=data.validated_data["survivor"])
        other = vendor_get(code=data.validated_data["other"])
        if survivor.pk == other.pk:
            raise ApplicationError("Give two different vendors.", code="same_vendor")
        low, high = sorted((survivor.pk, other.pk))
        candidate = DuplicateVendorCandidate.objects.filter(vendor_id=low, other_id=high).first()
        if candidate is None:
            raise NotFoundError(
                f"{survivor.code} and {other.code} are not a suspected duplicate pair.",
                code="duplicate_pair_not_found",
            )
        candidate = vendor_duplicate_resolve(
            candidate=candidate,
            actor=request.user,
            action=self.action,
            survivor=survivor,
            note=data.validated_data["note"],
        )
        return Response(DuplicateOutput(duplicate_list(status=None).get(pk=candidate.pk)).data)
