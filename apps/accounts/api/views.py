from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import ROLE_LABELS, user_roles
from apps.accounts.selectors import user_project_ids
from apps.projects.selectors import project_list


class MeApi(APIView):
    """Who the caller is, with roles and visible projects: the simplest authenticated endpoint."""

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        all_projects = serializers.BooleanField()
        projects = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        roles = sorted(r for r in user_roles(request.user) if r in ROLE_LABELS)
        body = {
            "username": request.user.get_username(),
            "roles": roles,
            "all_projects": user_project_ids(user=request.user) is None,
            "projects": list(project_list(user=request.user).values_list("code", flat=True)),
        }
        return Response(self.OutputSerializer(body).data)
