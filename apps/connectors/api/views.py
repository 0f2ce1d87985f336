"""Systems admin API (integration admins). Credentials and secrets are write-only: responses
say which credential keys are set (with their last 4 characters) and list secrets masked; a new
signing secret is returned once, in the response that creates it."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import INTEGRATION_ADMIN, HasRole
from apps.connectors.choices import Environment, SystemKind
from apps.connectors.selectors import (
    system_credentials_summary,
    system_get_by_code,
    system_list,
    system_secrets_summary,
)
from apps.connectors.services import (
    system_create,
    system_secret_generate,
    system_secret_retire,
    system_update,
)


class SecretOutput(serializers.Serializer):
    id = serializers.CharField()
    masked = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()


class CredentialOutput(serializers.Serializer):
    key = serializers.CharField()
    set = serializers.BooleanField()
    last4 = serializers.CharField()


class SystemOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    connector = serializers.CharField()
    base_url = serializers.CharField()
    environment = serializers.CharField()
    enabled = serializers.BooleanField()
    rate_limit_per_minute = serializers.IntegerField()
    options = serializers.JSONField()
    health = serializers.CharField()
    health_detail = serializers.CharField()
    health_checked_at = serializers.DateTimeField(allow_null=True)
    credentials = serializers.SerializerMethodField()
    webhook_secrets = serializers.SerializerMethodField()

    def get_credentials(self, system) -> list[dict]:
        return CredentialOutput(system_credentials_summary(system=system), many=True).data

    def get_webhook_secrets(self, system) -> list[dict]:
        return SecretOutput(system_secrets_summary(system=system), many=True).data


class SystemInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=SystemKind.choices)
    connector = serializers.CharField(max_length=50, required=False, allow_blank=True)
    base_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    enabled = serializers.BooleanField(required=False)
    rate_limit_per_minute = serializers.IntegerField(min_value=1, required=False)
    options = serializers.DictField(required=False)
    credentials = serializers.DictField(required=False, write_only=True)


class SystemCreateInput(SystemInput):
    code = serializers.SlugField(max_length=50)


class SystemUpdateInput(SystemInput):
    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=SystemKind.choices, required=False)
    credentials_clear = serializers.BooleanField(required=False, default=False)


def _system(code: str):
    system = system_get_by_code(code=code)
    if system is None:
        raise Http404
    return system


class SystemListApi(APIView):
    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN,)

    @extend_schema(responses=SystemOutput(many=True))
    def get(self, request):
        return Response(SystemOutput(system_list(), many=True).data)

    @extend_schema(request=SystemCreateInput, responses={201: SystemOutput})
    def post(self, request):
        serializer = SystemCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        system = system_create(actor=request.user, **serializer.validated_data)
        return Response(SystemOutput(system).data, status=201)


class SystemDetailApi(APIView):
    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN,)

    @extend_schema(responses=SystemOutput)
    def get(self, request, code: str):
        return Response(SystemOutput(_system(code)).data)

    @extend_schema(request=SystemUpdateInput, responses=SystemOutput)
    def patch(self, request, code: str):
        system = _system(code)
        serializer = SystemUpdateInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        credentials = data.pop("credentials", None)
        clear = data.pop("credentials_clear", False)
        system = system_update(
            actor=request.user,
            system=system,
            changes=data,
            credentials=credentials,
            credentials_clear=clear,
        )
        return Response(SystemOutput(system).data)


class SystemSecretsApi(APIView):
    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN,)

    class Input(serializers.Serializer):
        expires_in_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)

        class Meta:
            ref_name = "SigningSecretGenerateInput"

    @extend_schema(responses=SecretOutput(many=True))
    def get(self, request, code: str):
        return Response(SecretOutput(system_secrets_summary(system=_system(code)), many=True).data)

    @extend_schema(
        request=Input,
        responses={
            201: inline_serializer(
                "NewSigningSecret",
                {
                    "id": serializers.CharField(),
                    "secret": serializers.CharField(help_text="shown once, never again"),
                    "created_at": serializers.DateTimeField(),
                    "expires_at": serializers.DateTimeField(allow_null=True),
                },
            )
        },
    )
    def post(self, request, code: str):
        system = _system(code)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        days = serializer.validated_data.get("expires_in_days")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        secret, entry = system_secret_generate(
            actor=request.user, system=system, expires_at=expires_at
        )
        response = Response({"secret": secret, **entry}, status=201)
        response["Cache-Control"] = "no-store"
        return response


class SystemSecretRetireApi(APIView):
    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN,)

    class Input(serializers.Serializer):
        grace_hours = serializers.FloatField(
            min_value=0, max_value=24 * 90, required=False, default=0
        )

        class Meta:
            ref_name = "SigningSecretRetireInput"

    @extend_schema(request=Input, responses=SecretOutput)
    def post(self, request, code: str, secret_id: str):
        system = _system(code)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        system_secret_retire(
            actor=request.user,
            system=system,
            secret_id=secret_id,
            grace_hours=serializer.validated_data["grace_hours"],
        )
        system.refresh_from_db()
        row = next(s for s in system_secrets_summary(system=system) if s["id"] == secret_id)
        return Response(SecretOutput(row).data)
