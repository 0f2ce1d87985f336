"""The ingest hot path (DESIGN §4a): size and content-type check, signature check, JSON parse,
one INSERT (duplicate → 200), 202. Plain Django views, not DRF: every microsecond counts here.

Systems (with their decoded signing keys and connector) and project codes are looked up through
a small in-process cache with a short TTL, cleared on change in this process (signals in
apps.py) and by the TTL everywhere else, so a request costs no query but its INSERT.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction as db_transaction
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from apps.connectors.base import Connector, ParsedEvent
from apps.connectors.models import System
from apps.core.api import error_response
from apps.core.errors import ApplicationError
from apps.ledger.choices import RefusalReason, Trigger
from apps.ledger.services import InboundFile, refused_request_record, transaction_record_inbound
from apps.ledger.signatures import SignatureError, SigningKey, secret_key_bytes, signature_verify

logger = logging.getLogger(__name__)

# Which domain a file feed carries when the sender does not say (form field `domain`).
FILE_DOMAIN_BY_KIND = {
    "scheduling": "schedule",
    "banking": "bank_statement",
    "estimating": "budget",
}
DOMAIN_PATTERN = re.compile(r"^[a-z][a-z0-9_.\-]{0,49}$")
OPERATION_PATTERN = re.compile(r"^[a-z][a-z0-9_.\-]{0,49}$")
# Request headers kept with a refused request (never Authorization, cookies or the body).
RECORDED_HEADERS = (
    "content-type",
    "content-length",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "x-forwarded-for",
    "x-request-id",
    "x-adsk-delivery-id",
)


# --- caches -------------------------------------------------------------------------------------


@dataclass
class SystemEntry:
    system: System
    keys: list[SigningKey]
    plain_secrets: list[str]
    connector: Connector
    native_signature: bool
    # False for connectors without their own parse_event (the hub's envelope): skip the call and
    # the header dict it needs.
    parses_events: bool = True


CACHE_MAX_ENTRIES = 2000
_cache_lock = threading.Lock()
_system_cache: dict[str, tuple[float, SystemEntry | None]] = {}
_project_cache: dict[str, tuple[float, int | None]] = {}


def ingest_caches_clear() -> None:
    """Forget cached systems and projects (called on System/Project save and by tests)."""
    with _cache_lock:
        _system_cache.clear()
        _project_cache.clear()


def _expiry_ts(value) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def _system_entry_build(system: System) -> SystemEntry:
    from apps.connectors.registry import connector_for

    keys: list[SigningKey] = []
    plain: list[str] = []
    now = time.time()
    for item in system.webhook_secrets or []:
        secret = item.get("secret") or ""
        expires = _expiry_ts(item.get("expires_at"))
        if not secret or (expires is not None and expires <= now):
            continue
        keys.append(
            SigningKey(
                secret_id=str(item.get("id", "")), key=secret_key_bytes(secret), expires_at=expires
            )
        )
        plain.append(secret)
    connector = connector_for(system)
    return SystemEntry(
        system=system,
        keys=keys,
        plain_secrets=plain,
        connector=connector,
        native_signature=bool(getattr(connector, "native_signature", False)),
        parses_events=type(connector).parse_event is not Connector.parse_event,
    )


def system_entry_get(code: str) -> SystemEntry | None:
    ttl = getattr(settings, "LEDGER_SYSTEM_CACHE_SECONDS", 5)
    now = time.monotonic()
    cached = _system_cache.get(code)
    if cached is not None and cached[0] > now:
        return cached[1]
    system = System.objects.filter(code=code).first()
    entry = _system_entry_build(system) if system is not None else None
    with _cache_lock:
        if len(_system_cache) >= CACHE_MAX_ENTRIES:
            # Unknown codes are cached too (a flood of them costs no queries), so bound it.
            _system_cache.clear()
        _system_cache[code] = (now + ttl, entry)
    return entry


def project_id_for(reference) -> int | None:
    """The id of the project with this code (or numeric id); None when unknown — an unknown
    project is a business problem for the pipeline, not a reason to refuse the delivery."""
    if reference in (None, ""):
        return None
    reference = str(reference)[:40]
    ttl = getattr(settings, "LEDGER_PROJECT_CACHE_SECONDS", 60)
    now = time.monotonic()
    cached = _project_cache.get(reference)
    if cached is not None and cached[0] > now:
        return cached[1]
    from apps.projects.models import Project

    project_id = Project.objects.filter(code=reference).values_list("id", flat=True).first()
    with _cache_lock:
        if len(_project_cache) >= CACHE_MAX_ENTRIES:
            _project_cache.clear()
        _project_cache[reference] = (now + ttl, project_id)
    return project_id


# --- responses ----------------------------------------------------------------------------------


def _timestamp(value) -> datetime | None:
    """An event's own timestamp (ISO 8601; unix seconds accepted); None when unreadable — a
    bad timestamp is no reason to refuse the delivery."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            return datetime.fromtimestamp(float(value), tz=UTC)
        parsed = datetime.fromisoformat(str(value))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json(status: int, body: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, separators=(",", ":")), status=status, content_type="application/json"
    )


def _recorded_headers(request) -> dict:
    headers = {}
    for name in RECORDED_HEADERS:
        value = request.headers.get(name)
        if value:
            headers[name] = value[:300]
    signature = request.headers.get("webhook-signature")
    if signature:
        headers["webhook-signature"] = f"present ({len(signature.split())} signature(s))"
    if request.headers.get("x-adsk-signature"):
        headers["x-adsk-signature"] = "present"
    return headers


def _refuse(
    request,
    *,
    system_code: str,
    endpoint: str,
    status: int,
    reason: str,
    message: str,
    body: bytes | None = None,
    size: int | None = None,
    signature_valid: bool = False,
    details: dict | None = None,
) -> HttpResponse:
    """Every refusal is recorded for admins (nothing silent) and answered in the error shape."""
    if size is None:
        size = len(body) if body is not None else _content_length(request)
    excerpt = ""
    if signature_valid and body is not None:
        excerpt = body[:2000].decode("utf-8", "replace")
    refused_request_record(
        system_code=system_code,
        endpoint=endpoint,
        http_status=status,
        reason=reason,
        message=message,
        size_bytes=max(size, 0),
        body_sha256=hashlib.sha256(body).hexdigest() if body is not None else "",
        source_address=request.META.get("REMOTE_ADDR"),
        headers=_recorded_headers(request),
        body_excerpt=excerpt,
        signature_valid=signature_valid,
    )
    logger.warning(
        "ingest refused: system=%s endpoint=%s status=%s reason=%s",
        system_code,
        endpoint,
        status,
        reason,
    )
    return error_response(status, reason, message, details)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _read_body(request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` (checked before reading when announced)."""
    if _content_length(request) > limit:
        return None
    body = request.read(limit + 1)
    if len(body) > limit:
        return None
    return body


def _verify(request, entry: SystemEntry, body: bytes) -> str:
    """Verify the delivery's signature; return how ("key id" or "native"). Standard Webhooks
    always works; a platform-native scheme only where the system's connector says so."""
    signature = request.META.get("HTTP_WEBHOOK_SIGNATURE", "")
    if signature or not entry.native_signature:
        return signature_verify(
            keys=entry.keys,
            msg_id=request.META.get("HTTP_WEBHOOK_ID", ""),
            timestamp=request.META.get("HTTP_WEBHOOK_TIMESTAMP", ""),
            signature_header=signature,
            body=body,
            tolerance_seconds=settings.WEBHOOK_TOLERANCE_SECONDS,
        )
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        ok = entry.connector.verify_signature(
            headers=headers, body=body, secrets=list(entry.plain_secrets)
        )
    except NotImplementedError:
        ok = False
    if not ok:
        raise SignatureError("signature_invalid", "The platform signature does not match.")
    return "native"


def _admit(request, *, system_code: str, endpoint: str):
    """(entry, None) for a POST to an enabled system, else (None, the recorded refusal)."""
    if request.method != "POST":
        response = _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=405,
            reason=RefusalReason.METHOD_NOT_ALLOWED,
            message="Only POST is accepted here.",
            size=0,
        )
        response["Allow"] = "POST"
        return None, response
    entry = system_entry_get(system_code)
    if entry is None or not entry.system.enabled:
        return None, _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=404,
            reason=RefusalReason.UNKNOWN_SYSTEM if entry is None else RefusalReason.SYSTEM_DISABLED,
            message=f"No enabled system with code '{system_code}'.",
        )
    return entry, None


def _read_signed_body(request, entry, *, system_code: str, endpoint: str, limit: int, noun: str):
    """(body, None) when the body fits the limit and its signature verifies, else
    (None, the recorded 413/401 refusal)."""
    body = _read_body(request, limit)
    if body is None:
        return None, _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=413,
            reason=RefusalReason.BODY_TOO_LARGE,
            message=f"The {noun} is larger than {limit} bytes.",
            details={"limit_bytes": limit},
        )
    try:
        _verify(request, entry, body)
    except SignatureError as exc:
        return None, _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=401,
            reason=exc.reason,
            message=exc.message,
            body=body,
        )
    return body, None


def _enqueue(transaction_id: int) -> None:
    if not getattr(settings, "LEDGER_ENQUEUE_ON_COMMIT", False):
        return

    def send():
        try:
            from django_q.tasks import async_task

            async_task(
                "apps.ledger.tasks.process_transactions",
                [transaction_id],
                q_options={"timeout": 60},
            )
        except Exception:
            # The row is the outbox: the dispatcher or the sweeper will pick it up anyway.
            logger.warning("enqueue after commit failed for #%s", transaction_id, exc_info=True)

    db_transaction.on_commit(send)


def _accepted(tx, created: bool) -> HttpResponse:
    if created:
        _enqueue(tx.id)
        return _json(202, {"transaction_id": tx.id, "status": "received"})
    return _json(200, {"transaction_id": tx.id, "duplicate": True})


# --- events -------------------------------------------------------------------------------------


def _generic_envelope(payload, webhook_id: str) -> tuple[ParsedEvent | None, list[str], str]:
    """Our own event envelope (README "Sending events to the hub"):
    {"type": "<domain>.<operation>", "id": "...", "project": "...", "data": {...}}."""
    if not isinstance(payload, dict):
        return None, ["the body must be a JSON object"], ""
    missing: list[str] = []
    domain = payload.get("domain")
    operation = payload.get("operation")
    event_type = payload.get("type")
    if (not domain or not operation) and isinstance(event_type, str) and "." in event_type:
        domain, _, operation = event_type.rpartition(".")
    if not domain or not operation:
        missing.append("type")
    data = payload.get("data")
    if not isinstance(data, dict):
        missing.append("data")
    key = payload.get("idempotency_key") or payload.get("id") or webhook_id
    if not key:
        missing.append("id")
    if missing:
        return None, missing, ""
    domain, operation = str(domain).lower(), str(operation).lower()
    if not DOMAIN_PATTERN.match(domain) or not OPERATION_PATTERN.match(operation):
        return None, ["type"], f"'{domain}.{operation}' is not a valid <domain>.<operation> type"
    project_ref = payload.get("project") or data.get("project_code") or data.get("project") or ""
    occurred_at = payload.get("timestamp") or payload.get("occurred_at")
    external_id = payload.get("external_id") or data.get("external_id") or ""
    return (
        ParsedEvent(
            domain=domain,
            operation=operation,
            idempotency_key=str(key),
            external_id=str(external_id) if isinstance(external_id, str | int) else "",
            project_ref=str(project_ref) if isinstance(project_ref, str | int) else "",
            occurred_at=occurred_at if isinstance(occurred_at, str) else None,
            payload=payload,
        ),
        [],
        "",
    )


@csrf_exempt
def inbound_events(request, system_code: str):
    """POST /api/v1/inbound/<system_code>/events (documented in apps/ledger/schema.py)."""
    endpoint = "events"
    entry, refusal = _admit(request, system_code=system_code, endpoint=endpoint)
    if refusal is not None:
        return refusal
    limit = settings.INGEST_MAX_BODY_BYTES
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        return _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=415,
            reason=RefusalReason.UNSUPPORTED_MEDIA_TYPE,
            message=f"Content-Type must be application/json, not '{content_type or 'none'}'.",
        )
    body, refusal = _read_signed_body(
        request, entry, system_code=system_code, endpoint=endpoint, limit=limit, noun="body"
    )
    if refusal is not None:
        return refusal

    def bad(reason: str, message: str, details: dict | None = None) -> HttpResponse:
        return _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=400,
            reason=reason,
            message=message,
            body=body,
            signature_valid=True,
            details=details,
        )

    try:
        text = body.decode("utf-8")
        payload = json.loads(text)
    except UnicodeDecodeError:
        return bad(RefusalReason.MALFORMED_JSON, "The body is not UTF-8 text.")
    except ValueError as exc:
        return bad(RefusalReason.MALFORMED_JSON, f"The body is not valid JSON: {exc}.")
    if "\\u0000" in text:
        # PostgreSQL's jsonb cannot hold U+0000; refuse clearly rather than fail later.
        return bad(
            RefusalReason.MALFORMED_JSON, "The body contains \\u0000, which is not accepted."
        )

    webhook_id = request.META.get("HTTP_WEBHOOK_ID", "")
    parsed, problem = _event_parse(
        entry,
        payload=payload,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        webhook_id=webhook_id,
    )
    if problem is not None:
        return bad(*problem)
    tx, created = _event_record(entry, parsed, payload=payload, text=text, body=body)
    return _accepted(tx, created)


def _event_parse(
    entry: SystemEntry, *, payload, headers: dict, body: bytes, webhook_id: str
) -> tuple[ParsedEvent | None, tuple[str, str, dict | None] | None]:
    """(the parsed event, None) or (None, (reason, message, details)) for one event body."""
    try:
        parsed = (
            entry.connector.parse_event(headers=headers, payload=payload, body=body)
            if entry.parses_events
            else None
        )
    except ApplicationError as exc:
        # A connector's InvalidEventError: its own code and message (e.g. invalid_event).
        return None, (exc.code, exc.message, exc.details)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return None, (RefusalReason.MALFORMED_REQUEST, f"The event cannot be read: {exc}.", None)
    if parsed is None:
        parsed, missing, problem = _generic_envelope(payload, webhook_id)
        if parsed is None:
            return None, (
                RefusalReason.MISSING_FIELDS,
                problem or "Missing or invalid field(s): " + ", ".join(missing) + ".",
                {"missing": missing},
            )
    elif not parsed.idempotency_key:
        parsed.idempotency_key = webhook_id
        if not parsed.idempotency_key:
            return None, (RefusalReason.MISSING_FIELDS, "The event has no id.", {"missing": ["id"]})
    return parsed, None


def _event_record(entry: SystemEntry, parsed: ParsedEvent, *, payload, text: str, body: bytes):
    """Record one parsed event (persist before acknowledge); (transaction, created)."""
    data = parsed.payload if parsed.payload else payload
    correlation_id = payload.get("correlation_id") if isinstance(payload, dict) else None
    return transaction_record_inbound(
        system=entry.system,
        domain=parsed.domain,
        operation=parsed.operation,
        payload=data,
        idempotency_key=parsed.idempotency_key,
        trigger=Trigger.WEBHOOK,
        external_id=parsed.external_id,
        project=project_id_for(parsed.project_ref),
        correlation_id=str(correlation_id)[:64] if isinstance(correlation_id, str) else "",
        schema_version=str(payload.get("schema_version") or payload.get("version") or "")[:20]
        if isinstance(payload, dict)
        else "",
        raw_body=text,
        payload_sha256=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        occurred_at=_timestamp(parsed.occurred_at),
    )


# --- files --------------------------------------------------------------------------------------


@csrf_exempt
def inbound_files(request, system_code: str):
    """POST /api/v1/inbound/<system_code>/files (multipart: `file` + optional `domain`,
    `operation`, `project`); the file's sha256 is the idempotency key."""
    endpoint = "files"
    entry, refusal = _admit(request, system_code=system_code, endpoint=endpoint)
    if refusal is not None:
        return refusal
    if request.content_type != "multipart/form-data":
        return _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=415,
            reason=RefusalReason.UNSUPPORTED_MEDIA_TYPE,
            message="Content-Type must be multipart/form-data, not "
            f"'{request.content_type or 'none'}'.",
        )
    limit = settings.INGEST_MAX_FILE_BYTES
    body, refusal = _read_signed_body(
        request, entry, system_code=system_code, endpoint=endpoint, limit=limit, noun="upload"
    )
    if refusal is not None:
        return refusal

    def bad(reason: str, message: str, details: dict | None = None) -> HttpResponse:
        return _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=400,
            reason=reason,
            message=message,
            body=body,
            signature_valid=True,
            details=details,
        )

    try:
        parser = MultiPartParser(
            request.META, io.BytesIO(body), request.upload_handlers, request.encoding
        )
        fields, files = parser.parse()
    except (MultiPartParserError, ValueError) as exc:
        return bad(RefusalReason.MALFORMED_REQUEST, f"The multipart body cannot be read: {exc}.")
    upload = files.get("file")
    if upload is None:
        return bad(
            RefusalReason.MISSING_FIELDS, "The form has no 'file' part.", {"missing": ["file"]}
        )
    content = upload.read()
    if not content:
        return bad(RefusalReason.MISSING_FIELDS, "The file is empty.", {"missing": ["file"]})
    digest = hashlib.sha256(content).hexdigest()
    domain = (fields.get("domain") or FILE_DOMAIN_BY_KIND.get(entry.system.kind, "file")).lower()
    operation = (fields.get("operation") or "import").lower()
    if not DOMAIN_PATTERN.match(domain) or not OPERATION_PATTERN.match(operation):
        return bad(RefusalReason.MISSING_FIELDS, "Invalid 'domain' or 'operation' field.")
    file_name = (fields.get("file_name") or upload.name or "upload")[:255]
    form = {k: v[:500] for k, v in fields.items() if k not in {"domain", "operation"}}
    payload = {
        "file_name": file_name,
        "content_type": upload.content_type or "",
        "size": len(content),
        "sha256": digest,
        "fields": form,
    }
    tx, created = transaction_record_inbound(
        system=entry.system,
        domain=domain,
        operation=operation,
        payload=payload,
        idempotency_key=f"sha256:{digest}",
        trigger=Trigger.FILE,
        project=project_id_for(fields.get("project")),
        payload_sha256=digest,
        size_bytes=len(content),
        reference="",
        file=InboundFile(name=file_name, content=content, content_type=upload.content_type or ""),
    )
    return _accepted(tx, created)


# --- batches ------------------------------------------------------------------------------------


def _batch_refusal_record(request, *, system_code: str, index: int, problem, event_bytes: bytes):
    reason, message, _details = problem
    refused_request_record(
        system_code=system_code,
        endpoint="batches",
        http_status=400,
        reason=reason,
        message=f"event {index}: {message}",
        size_bytes=len(event_bytes),
        body_sha256=hashlib.sha256(event_bytes).hexdigest(),
        source_address=request.META.get("REMOTE_ADDR"),
        headers=_recorded_headers(request),
        body_excerpt=event_bytes[:2000].decode("utf-8", "replace"),
        signature_valid=True,
    )


@csrf_exempt
def inbound_batches(request, system_code: str):
    """POST /api/v1/inbound/<system_code>/batches: many events in one signed body (offline sync
    from site devices). Each event is parsed, deduplicated and recorded exactly like a single
    event, and acknowledged or refused on its own in the answer; a bad event never sinks the
    batch. Refused events are recorded for admins like refused single events."""
    endpoint = "batches"
    entry, refusal = _admit(request, system_code=system_code, endpoint=endpoint)
    if refusal is not None:
        return refusal
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        return _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=415,
            reason=RefusalReason.UNSUPPORTED_MEDIA_TYPE,
            message=f"Content-Type must be application/json, not '{content_type or 'none'}'.",
        )
    limit = getattr(settings, "INGEST_MAX_BATCH_BYTES", 5 * 1024 * 1024)
    body, refusal = _read_signed_body(
        request, entry, system_code=system_code, endpoint=endpoint, limit=limit, noun="batch"
    )
    if refusal is not None:
        return refusal

    def bad(reason: str, message: str, details: dict | None = None, status: int = 400):
        return _refuse(
            request,
            system_code=system_code,
            endpoint=endpoint,
            status=status,
            reason=reason,
            message=message,
            body=body,
            signature_valid=True,
            details=details,
        )

    try:
        document = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return bad(RefusalReason.MALFORMED_JSON, "The body is not UTF-8 text.")
    except ValueError as exc:
        return bad(RefusalReason.MALFORMED_JSON, f"The body is not valid JSON: {exc}.")
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list) or not events:
        return bad(
            RefusalReason.MISSING_FIELDS,
            'A batch is {"events": [<event>, ...]} with at least one event.',
            {"missing": ["events"]},
        )
    max_events = getattr(settings, "FIELD_BATCH_MAX_EVENTS", 500)
    if len(events) > max_events:
        return bad(
            RefusalReason.BATCH_TOO_LARGE,
            f"The batch has {len(events)} events; at most {max_events} are accepted at once.",
            {"limit_events": max_events, "events": len(events)},
            status=413,
        )

    request_headers = {k.lower(): v for k, v in request.headers.items()}
    results = []
    counts = {"accepted": 0, "duplicate": 0, "refused": 0}
    for index, event in enumerate(events):
        event_text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        event_bytes = event_text.encode("utf-8")
        event_id = event.get("id") if isinstance(event, dict) else None
        # A batch's own webhook-id names the batch, not its events: an event's fallback id is its
        # own `id` (connectors prefer their own ids, e.g. the device's event id).
        webhook_id = str(event_id) if isinstance(event_id, str | int) and event_id != "" else ""
        if not isinstance(event, dict):
            problem = (RefusalReason.MALFORMED_REQUEST, "an event must be a JSON object", None)
        elif "\\u0000" in event_text:
            problem = (RefusalReason.MALFORMED_JSON, "the event contains \\u0000", None)
        else:
            parsed, problem = _event_parse(
                entry,
                payload=event,
                headers={**request_headers, "webhook-id": webhook_id},
                body=event_bytes,
                webhook_id=webhook_id,
            )
        if problem is not None:
            _batch_refusal_record(
                request,
                system_code=system_code,
                index=index,
                problem=problem,
                event_bytes=event_bytes,
            )
            counts["refused"] += 1
            results.append(
                {
                    "index": index,
                    "status": "refused",
                    "reason": str(problem[0]),
                    "message": problem[1],
                    "transaction_id": None,
                }
            )
            continue
        tx, created = _event_record(entry, parsed, payload=event, text=event_text, body=event_bytes)
        if created:
            _enqueue(tx.id)
        status = "accepted" if created else "duplicate"
        counts[status] += 1
        results.append(
            {
                "index": index,
                "status": status,
                "transaction_id": tx.id,
                "idempotency_key": parsed.idempotency_key,
            }
        )
    batch_id = document.get("batch_id") if isinstance(document, dict) else None
    logger.info(
        "ingest batch: system=%s events=%s accepted=%s duplicates=%s refused=%s",
        system_code,
        len(events),
        counts["accepted"],
        counts["duplicate"],
        counts["refused"],
    )
    return _json(
        200,
        {
            "batch_id": str(batch_id)[:100] if isinstance(batch_id, str | int) else None,
            "events": len(events),
            "accepted": counts["accepted"],
            "duplicates": counts["duplicate"],
            "refused": counts["refused"],
            "results": results,
        },
    )
