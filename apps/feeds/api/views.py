"""Reporting feeds API: `GET /api/v1/feeds/<entity>/?cursor=&format=jsonl|csv&limit=` (one route
per entity) —
read-only, incremental by change time, project-scoped; the next cursor is in the
`X-Next-Cursor` header (and `Link: rel="next"`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from apps.accounts.roles import FINANCE, INTEGRATION_ADMIN, PMO, HasRole
from apps.core.errors import ApplicationError
from apps.feeds.exports import FORMATS, rows_as
from apps.feeds.fieldsets import SPECS, VERSION
from apps.feeds.selectors import DEFAULT_LIMIT, MAX_LIMIT, feed_page


class JsonLinesRenderer(BaseRenderer):
    media_type = "application/jsonl"
    format = "jsonl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only error bodies reach a renderer (pages are written by the view).
        return JSONRenderer().render(data) + b"\n"


class CsvRenderer(JsonLinesRenderer):
    media_type = "text/csv"
    format = "csv"


def _fields_doc() -> str:
    return "\n".join(
        f"- `{spec.entity}` ({spec.description}; walks `{spec.time_field}`): "
        + ", ".join(f"`{name}`" for name in spec.field_names)
        for spec in SPECS.values()
    )


class FeedApi(APIView):
    """One page of an incremental feed (one route per entity: `FEED_VIEWS`)."""

    permission_classes = [HasRole]
    required_roles = (INTEGRATION_ADMIN, PMO, FINANCE)
    renderer_classes = [JsonLinesRenderer, CsvRenderer, JSONRenderer]
    entity = ""

    def get(self, request):
        fmt = request.query_params.get("format") or "jsonl"
        if fmt not in FORMATS:
            raise ApplicationError(
                f"format must be one of {', '.join(FORMATS)}.", code="bad_format"
            )
        since = None
        if request.query_params.get("since"):
            since = parse_datetime(request.query_params["since"])
            if since is None or since.tzinfo is None:
                raise ApplicationError(
                    "since must be an ISO 8601 date-time with a time zone.", code="bad_since"
                )
        try:
            limit = int(request.query_params.get("limit") or DEFAULT_LIMIT)
        except ValueError:
            raise ApplicationError("limit must be an integer.", code="bad_limit") from None
        page = feed_page(
            user=request.user,
            entity=self.entity,
            cursor=request.query_params.get("cursor", ""),
            since=since,
            limit=limit,
        )
        response = HttpResponse(
            rows_as(fmt, page.rows, page.fields), content_type=f"{FORMATS[fmt]}; charset=utf-8"
        )
        response["X-Next-Cursor"] = page.next_cursor
        response["X-Feed-Version"] = page.version
        response["X-Feed-Complete"] = "true" if page.complete else "false"
        response["X-Feed-Rows"] = str(len(page.rows))
        response["Link"] = (
            f"<{request.build_absolute_uri(request.path)}?format={fmt}&cursor={page.next_cursor}>"
            '; rel="next"'
        )
        return response


PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="Opaque; from X-Next-Cursor"),
    OpenApiParameter(
        "since",
        OpenApiTypes.DATETIME,
        description="Start at this change time (ignored with a cursor)",
    ),
    OpenApiParameter("format", OpenApiTypes.STR, enum=list(FORMATS), default="jsonl"),
    OpenApiParameter(
        "limit",
        OpenApiTypes.INT,
        description=f"Rows per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
    ),
]
HEADERS_DOC = (
    "Changes in change-time order, each change once across pages, scoped to the reader's "
    "projects. Start without a cursor (or with `since`), then pass the `X-Next-Cursor` response "
    "header back as `cursor`; an empty page means nothing new yet (poll again with the same "
    "cursor). Headers: `X-Next-Cursor`, `X-Feed-Version`, `X-Feed-Complete`, `X-Feed-Rows`, "
    "`Link: rel=next`."
)


def _feed_view(spec) -> type[FeedApi]:
    fields = ", ".join(f"`{name}`" for name in spec.field_names)

    class EntityFeedApi(FeedApi):
        entity = spec.entity

        @extend_schema(
            operation_id=f"feeds_{spec.entity}",
            summary=f"Feed {VERSION}: {spec.description}",
            description=(
                f"{HEADERS_DOC}\n\nField set **{VERSION}** (stable; walks `{spec.time_field}`): "
                f"{fields}."
            ),
            parameters=PARAMETERS,
            responses={
                (200, "application/jsonl"): OpenApiResponse(
                    response=OpenApiTypes.STR, description="One JSON object per line"
                ),
                (200, "text/csv"): OpenApiResponse(
                    response=OpenApiTypes.STR,
                    description="A header row, then one row per change",
                ),
            },
        )
        def get(self, request):
            return super().get(request)

    EntityFeedApi.__name__ = EntityFeedApi.__qualname__ = (
        "".join(part.title() for part in spec.entity.split("_")) + "FeedApi"
    )
    return EntityFeedApi


FEED_VIEWS = {entity: _feed_view(spec) for entity, spec in SPECS.items()}
