"""Banking API: statements (list, detail, upload) and bank lines (list, manual match)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FileUploadParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, HasRole
from apps.banking.candidates import reconciliation_candidates
from apps.banking.choices import MatchStatus, MatchTargetKind, StatementFormat
from apps.banking.models import BankLineMatch, BankTransactionDetail
from apps.banking.selectors import (
    bank_line_get,
    bank_line_list,
    bank_statement_get,
    bank_statement_list,
)
from apps.banking.services import (
    bank_line_match_manual,
    bank_line_unmatch,
    bank_statement_import,
)
from apps.core.api import MAX_ID, IdCursorPagination
from apps.core.errors import ApplicationError, NotFoundError

BANKING_ROLES = (FINANCE, INTEGRATION_ADMIN)


class _BankingApi(APIView):
    pagination_class = IdCursorPagination  # documents the paginated list in the schema
    permission_classes = [IsAuthenticated, HasRole]
    required_roles = BANKING_ROLES

    def paginate(self, queryset, serializer_class):
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


class StatementOutput(serializers.Serializer):
    id = serializers.IntegerField()
    format = serializers.CharField()
    version = serializers.CharField(source="file.version")
    account = serializers.CharField(source="account.identifier")
    statement_id = serializers.CharField()
    sequence = serializers.CharField()
    currency = serializers.CharField()
    opening_balance = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    opening_date = serializers.DateField(allow_null=True)
    closing_balance = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    closing_date = serializers.DateField(allow_null=True)
    balance_difference = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    entry_count = serializers.IntegerField()
    known_entry_count = serializers.IntegerField()
    line_count = serializers.IntegerField()
    unmatched_count = serializers.IntegerField()
    reconciled_count = serializers.IntegerField()
    file_name = serializers.CharField(source="file.file_name")
    file_sha256 = serializers.CharField(source="file.sha256")
    imported_at = serializers.DateTimeField()
    reconciled_at = serializers.DateTimeField(allow_null=True)


class MatchOutput(serializers.Serializer):
    target_kind = serializers.CharField()
    target_id = serializers.IntegerField()
    target_reference = serializers.CharField()
    target_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    method = serializers.CharField()
    confidence = serializers.DecimalField(max_digits=4, decimal_places=3)
    amount_difference = serializers.DecimalField(max_digits=18, decimal_places=2)
    state = serializers.CharField()
    created_at = serializers.DateTimeField()


class LineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    statement = serializers.IntegerField(source="entry.statement_id")
    entry = serializers.IntegerField(source="entry_id")
    entry_position = serializers.IntegerField(source="entry.position")
    position = serializers.IntegerField()
    account = serializers.CharField(source="account.identifier")
    booking_date = serializers.DateField(allow_null=True)
    value_date = serializers.DateField(source="entry.value_date", allow_null=True)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    signed_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    credit_debit = serializers.CharField()
    reversal = serializers.BooleanField()
    entry_status = serializers.CharField(source="entry.status")
    batch_count = serializers.IntegerField(source="entry.batch_count", allow_null=True)
    account_servicer_ref = serializers.SerializerMethodField()
    end_to_end_id = serializers.CharField()
    instruction_id = serializers.CharField()
    mandate_id = serializers.CharField()
    payment_info_id = serializers.CharField()
    remittance = serializers.CharField(source="remittance_unstructured")
    creditor_reference = serializers.CharField()
    counterparty_name = serializers.CharField()
    counterparty_iban = serializers.CharField()
    counterparty_account = serializers.CharField()
    counterparty_bic = serializers.CharField()
    bank_transaction_code = serializers.CharField()
    charges_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    return_reason = serializers.CharField()
    match_status = serializers.CharField()
    match_method = serializers.CharField()
    match_confidence = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    match_note = serializers.CharField()
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)
    exception_item = serializers.IntegerField(source="exception_item_id", allow_null=True)
    matches = MatchOutput(many=True, source="matches.all")

    def get_account_servicer_ref(self, line) -> str:
        return line.account_servicer_ref or line.entry.account_servicer_ref


def _with_matches(queryset):
    return queryset.prefetch_related(
        Prefetch("matches", queryset=BankLineMatch.objects.order_by("-id"))
    )


class BankStatementListApi(_BankingApi):
    """GET: statements, newest first. POST: upload a statement file (multipart `file`, or the
    raw bytes as the body); 201 with what was imported, 200 when it was already imported,
    422 with the reason when it is not a statement we can read."""

    parser_classes = [MultiPartParser, FileUploadParser]

    class FilterInput(serializers.Serializer):
        account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        format = serializers.ChoiceField(choices=StatementFormat.choices, required=False)

    @extend_schema(
        operation_id="bank_statements_list",
        parameters=[FilterInput],
        responses=StatementOutput(many=True),
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = bank_statement_list(
            user=request.user,
            account_id=filters.validated_data.get("account"),
            format=filters.validated_data.get("format", ""),
        )
        return self.paginate(queryset, StatementOutput)

    @extend_schema(
        operation_id="bank_statements_upload",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={200: dict, 201: dict},
    )
    def post(self, request):
        upload = request.data.get("file")
        if upload is None:
            raise ApplicationError(
                "Send the statement as a multipart field named 'file'.", code="file_required"
            )
        result = bank_statement_import(
            file_bytes=upload.read(), file_name=getattr(upload, "name", ""), actor=request.user
        )
        code = status.HTTP_200_OK if result.duplicate_file else status.HTTP_201_CREATED
        return Response(result.as_dict(), status=code)


class BankStatementDetailApi(_BankingApi):
    @extend_schema(operation_id="bank_statements_retrieve", responses=StatementOutput)
    def get(self, request, statement_id: int):
        statement = bank_statement_get(user=request.user, statement_id=statement_id)
        lines = _with_matches(
            bank_line_list(user=request.user, statement_id=statement.id).order_by(
                "entry__position", "position"
            )
        )
        data = dict(StatementOutput(statement).data)
        data["lines"] = LineOutput(lines, many=True).data
        return Response(data)


class BankLineListApi(_BankingApi):
    """Bank lines; `?matched=false` gives the unmatched ones (what reviewers work on)."""

    class FilterInput(serializers.Serializer):
        matched = serializers.BooleanField(required=False, allow_null=True, default=None)
        status = serializers.ChoiceField(choices=MatchStatus.choices, required=False)
        statement = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)
        q = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(parameters=[FilterInput], responses=LineOutput(many=True))
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        matched = data.get("matched") if "matched" in request.query_params else None
        queryset = bank_line_list(
            user=request.user,
            statement_id=data.get("statement"),
            account_id=data.get("account"),
            matched=matched,
            status=data.get("status", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            search=data.get("q", ""),
        )
        return self.paginate(_with_matches(queryset), LineOutput)


def _candidate(line: BankTransactionDetail, kind: str, target_id: int):
    for candidate in reconciliation_candidates(
        currency=line.currency, date_from=None, date_to=None
    ):
        if candidate.kind == kind and candidate.id == target_id:
            return candidate
    raise NotFoundError(f"{MatchTargetKind(kind).label} {target_id} is not an open item.")


class BankLineMatchApi(_BankingApi):
    """Match a bank line by hand to a payment and/or a vendor bill (ids from procurement)."""

    class InputSerializer(serializers.Serializer):
        payment_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        bill_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        note = serializers.CharField(required=False, allow_blank=True, max_length=500)

        class Meta:
            ref_name = "BankLineMatchInput"

        def validate(self, attrs):
            if not attrs.get("payment_id") and not attrs.get("bill_id"):
                raise serializers.ValidationError("Give payment_id or bill_id.")
            return attrs

    @extend_schema(request=InputSerializer, responses=LineOutput)
    def post(self, request, line_id: int):
        line = bank_line_get(user=request.user, line_id=line_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        payment = (
            _candidate(line, "payment", data["payment_id"]) if data.get("payment_id") else None
        )
        bill = _candidate(line, "bill", data["bill_id"]) if data.get("bill_id") else None
        bank_line_match_manual(
            line=line, payment=payment, bill=bill, actor=request.user, note=data.get("note", "")
        )
        line = _with_matches(bank_line_list(user=request.user)).get(pk=line.pk)
        return Response(LineOutput(line).data)


class BankLineUnmatchApi(_BankingApi):
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, max_length=500)

        class Meta:
            ref_name = "BankLineUnmatchInput"

    @extend_schema(request=InputSerializer, responses=LineOutput)
    def post(self, request, line_id: int):
        line = bank_line_get(user=request.user, line_id=line_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        bank_line_unmatch(
            line=line, actor=request.user, note=payload.validated_data.get("note", "")
        )
        line = _with_matches(bank_line_list(user=request.user)).get(pk=line.pk)
        return Response(LineOutput(line).data)
