"""A thin Odoo client on httpx: JSON-RPC `execute_kw` (/jsonrpc) or JSON-2 (/json/2/<model>/<m>).

One pooled client per System (`odoo_client_for`), shared by every connector instance built for
that System in this process, so keep-alive connections are reused across deliveries. The pool
entry is replaced (and the old client closed) when anything that changes how we connect changes:
base URL, protocol, timeouts or credentials (compared by a fingerprint, not by `updated_at`,
because health checks save the System often and must not churn connections).

The caller passes `observe`, a callable receiving one dict per HTTP round trip (see
apps/connectors/odoo/__init__.py for its keys). Credentials never appear in those dicts, in
error messages or in logs: the password travels only inside the request body.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from apps.connectors.errors import ConnectorError, PermanentError, TransientError
from apps.connectors.http import DEFAULT_LIMITS, DEFAULT_TIMEOUT, http_client_build
from apps.connectors.models import System
from apps.connectors.odoo.errors import (
    error_from_odoo,
    error_from_transport,
    retry_after_parse,
)

Observer = Callable[[dict[str, Any]], None]

PROTOCOL_JSONRPC = "jsonrpc"
PROTOCOL_JSON2 = "json2"
PROTOCOLS = (PROTOCOL_JSONRPC, PROTOCOL_JSON2)

# `@api.model` methods take no record ids: over execute_kw their first positional argument is
# a real argument (a domain, a vals list), over JSON-2 `ids` must be absent.
MODEL_METHODS = frozenset(
    {
        "create",
        "search",
        "search_read",
        "search_count",
        "search_fetch",
        "fields_get",
        "name_search",
        "name_create",
        "default_get",
        "context_get",
        "load",
        "read_group",
        "formatted_read_group",
        "check_access_rights",
        "has_access",
    }
)

# JSON-2 has no positional arguments ("every other method parameter by name", reference §1.4):
# the names of the positional parameters after `self`/ids, per method, as Odoo 19 spells them.
JSON2_PARAMETER_NAMES: dict[str, tuple[str, ...]] = {
    "search": ("domain", "offset", "limit", "order"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "read": ("fields", "load"),
    "create": ("vals_list",),
    "write": ("vals",),
    "fields_get": ("allfields", "attributes"),
    "name_search": ("name", "domain", "operator", "limit"),
    "default_get": ("fields",),
    "copy": ("default",),
    "load": ("fields", "data"),
}


@dataclass(frozen=True)
class OdooCredentials:
    """Where and as whom to log in. `repr` hides the secrets so they never reach a log line."""

    database: str
    username: str = ""
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)

    @property
    def secret(self) -> str:
        """What goes in execute_kw's password slot: Odoo accepts an API key there too."""
        return self.password or self.api_key

    @classmethod
    def from_system(cls, system: System, *, protocol: str) -> OdooCredentials:
        raw = system.credentials or {}
        if not isinstance(raw, dict):
            raise PermanentError(
                f"System {system.code}: credentials must be a JSON object",
                code="configuration_error",
            )
        credentials = cls(
            database=str(raw.get("database") or raw.get("db") or ""),
            username=str(raw.get("username") or raw.get("login") or ""),
            password=str(raw.get("password") or ""),
            api_key=str(raw.get("api_key") or ""),
        )
        missing = []
        if protocol == PROTOCOL_JSONRPC:
            if not credentials.database:
                missing.append("database")
            if not credentials.username:
                missing.append("username")
            if not credentials.secret:
                missing.append("password or api_key")
        elif not credentials.api_key:
            missing.append("api_key")  # JSON-2 authenticates with a bearer API key only
        if missing:
            raise PermanentError(
                f"System {system.code}: Odoo credentials lack {', '.join(missing)} "
                f"(needed by the {protocol} API)",
                code="configuration_error",
            )
        return credentials

    def fingerprint(self) -> str:
        material = json.dumps(
            [self.database, self.username, self.password, self.api_key], separators=(",", ":")
        )
        return hashlib.sha256(material.encode()).hexdigest()


def _timeout_from_options(options: dict[str, Any]) -> httpx.Timeout:
    read = options.get("timeout_seconds")
    connect = options.get("connect_timeout_seconds")
    if read is None and connect is None:
        return DEFAULT_TIMEOUT
    read_seconds = float(read) if read is not None else DEFAULT_TIMEOUT.read
    connect_seconds = float(connect) if connect is not None else min(5.0, read_seconds)
    return httpx.Timeout(
        connect=connect_seconds, read=read_seconds, write=read_seconds, pool=connect_seconds
    )


def _limits_from_options(options: dict[str, Any]) -> httpx.Limits:
    size = options.get("max_connections")
    if not size:
        return DEFAULT_LIMITS
    size = int(size)
    return httpx.Limits(max_connections=size, max_keepalive_connections=size, keepalive_expiry=30)


def protocol_for(system: System) -> str:
    protocol = str((system.options or {}).get("api") or PROTOCOL_JSONRPC).lower()
    if protocol not in PROTOCOLS:
        raise PermanentError(
            f"System {system.code}: options.api must be one of {', '.join(PROTOCOLS)}, "
            f"not {protocol!r}",
            code="configuration_error",
        )
    return protocol


class OdooClient:
    """Round trips to one Odoo database over one protocol; thread-safe."""

    def __init__(
        self,
        *,
        base_url: str,
        protocol: str,
        credentials: OdooCredentials,
        http: httpx.Client,
        context: dict[str, Any] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.protocol = protocol
        self.credentials = credentials
        self.http = http
        self.context = dict(context or {})
        self._uid: int | None = None
        self._auth_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}
        self._fields_lock = threading.Lock()
        # Lookups that hardly ever change (currency and country ids, analytic plans), kept for
        # the pooled client's life: one search per process instead of one per delivery.
        self.cache: dict[str, dict[str, Any]] = {}

    # --- the two wire formats -------------------------------------------------------------
    def _post(
        self,
        path: str,
        *,
        body: dict[str, Any],
        headers: dict[str, str] | None,
        record: dict[str, Any],
        observe: Observer | None,
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self.http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            error = error_from_transport(exc, url=self.base_url + path)
            self._emit(observe, record, started, error=error)
            raise error from exc
        record["status_code"] = response.status_code
        record["duration_ms"] = (time.perf_counter() - started) * 1000
        return response

    def _emit(
        self,
        observe: Observer | None,
        record: dict[str, Any],
        started: float,
        *,
        error: ConnectorError | None = None,
    ) -> None:
        record.setdefault("duration_ms", (time.perf_counter() - started) * 1000)
        record["duration_ms"] = round(record["duration_ms"], 3)
        record["ok"] = error is None
        record["error_code"] = error.code if error else ""
        record["remote_name"] = error.remote_name if error else ""
        if observe is not None:
            observe(record)

    def _jsonrpc(
        self, service: str, method: str, args: list[Any], *, record: dict, observe: Observer | None
    ) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(self._request_ids),
            "params": {"service": service, "method": method, "args": args},
        }
        started = time.perf_counter()
        response = self._post("/jsonrpc", body=body, headers=None, record=record, observe=observe)
        error: ConnectorError | None = None
        try:
            if response.status_code != 200:
                error = self._status_error(response)
            else:
                try:
                    payload = response.json()
                except ValueError:
                    error = TransientError(
                        "Odoo answered /jsonrpc with something that is not JSON",
                        code="invalid_response",
                        status_code=response.status_code,
                    )
                else:
                    if not isinstance(payload, dict):
                        error = TransientError(
                            "Odoo answered /jsonrpc with a JSON value that is not an object",
                            code="invalid_response",
                        )
                    elif payload.get("error"):
                        error = self._jsonrpc_error(payload["error"])
                    else:
                        # A method returning None gives no "result" key at all (§1.1).
                        result = payload.get("result")
                        self._emit(observe, record, started)
                        return result
        except ConnectorError as exc:  # pragma: no cover - defensive
            error = exc
        self._emit(observe, record, started, error=error)
        raise error

    @staticmethod
    def _jsonrpc_error(error: Any) -> ConnectorError:
        if not isinstance(error, dict):
            return TransientError(f"Odoo reported an error: {error!r}", code="server_error")
        data = error.get("data") if isinstance(error.get("data"), dict) else {}
        name = str(data.get("name") or "")
        message = str(data.get("message") or error.get("message") or "")
        code = error.get("code")
        if code == 404 and not name:
            name = "werkzeug.exceptions.NotFound"
        if code == 100 and not name:
            name = "odoo.http.SessionExpiredException"
        return error_from_odoo(name=name, message=message)

    @staticmethod
    def _status_error(response: httpx.Response) -> ConnectorError:
        retry_after = retry_after_parse(response.headers.get("Retry-After"))
        name = ""
        message = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            name = str(body.get("name") or "")
            message = str(body.get("message") or "")
            if not name and isinstance(body.get("error"), dict):  # a JSON-RPC error with a status
                data = body["error"].get("data") or {}
                name = str(data.get("name") or "")
                message = str(data.get("message") or body["error"].get("message") or "")
        if not message:
            text = response.text.strip().replace("\n", " ")
            message = f"HTTP {response.status_code} {response.reason_phrase}" + (
                f": {text[:300]}" if text else ""
            )
        if response.status_code == 404 and not name and response.request.url.path == "/jsonrpc":
            message += " (this Odoo has no /jsonrpc endpoint: set options.api to json2)"
        # The remote class name is the most precise signal; without one the status decides.
        error = error_from_odoo(
            name=name, message=message, status_code=response.status_code, retry_after=retry_after
        )
        return error

    def _json2(
        self, model: str, method: str, body: dict[str, Any], *, record: dict, observe
    ) -> Any:
        headers = {"Authorization": f"bearer {self.credentials.api_key}"}
        if self.credentials.database:
            headers["X-Odoo-Database"] = self.credentials.database
        started = time.perf_counter()
        response = self._post(
            f"/json/2/{model}/{method}", body=body, headers=headers, record=record, observe=observe
        )
        if response.status_code == 200:
            if not response.content:
                self._emit(observe, record, started)
                return None
            try:
                result = response.json()
            except ValueError:
                error: ConnectorError = TransientError(
                    f"Odoo answered /json/2/{model}/{method} with something that is not JSON",
                    code="invalid_response",
                    status_code=200,
                )
            else:
                self._emit(observe, record, started)
                return result
        else:
            error = self._status_error(response)
        self._emit(observe, record, started, error=error)
        raise error

    # --- public API -----------------------------------------------------------------------
    def _record(self, service: str, model: str, method: str, records: int | None) -> dict:
        record: dict[str, Any] = {
            "protocol": self.protocol,
            "service": service,
            "model": model,
            "method": method,
        }
        if records is not None:
            record["records"] = records
        return record

    def version(self, *, observe: Observer | None = None) -> dict[str, Any]:
        """The server version, without logging in."""
        if self.protocol == PROTOCOL_JSONRPC:
            record = self._record("common", "", "version", None)
            result = self._jsonrpc("common", "version", [], record=record, observe=observe)
            return result if isinstance(result, dict) else {}
        record = self._record("web", "", "version", None)
        started = time.perf_counter()
        try:
            response = self.http.get("/web/version")
        except httpx.HTTPError as exc:
            error = error_from_transport(exc, url=self.base_url + "/web/version")
            self._emit(observe, record, started, error=error)
            raise error from exc
        record["status_code"] = response.status_code
        if response.status_code != 200:
            error = self._status_error(response)
            self._emit(observe, record, started, error=error)
            raise error
        try:
            result = response.json()
        except ValueError:
            error = TransientError("Odoo /web/version is not JSON", code="invalid_response")
            self._emit(observe, record, started, error=error)
            raise error from None
        self._emit(observe, record, started)
        return result if isinstance(result, dict) else {}

    def authenticate(self, *, observe: Observer | None = None, force: bool = False) -> int:
        """The Odoo user id: logged in once per client (JSON-RPC); JSON-2 asks context_get."""
        if self._uid is not None and not force:
            return self._uid
        with self._auth_lock:
            if self._uid is not None and not force:
                return self._uid
            if self.protocol == PROTOCOL_JSONRPC:
                credentials = self.credentials
                record = self._record("common", "", "authenticate", None)
                uid = self._jsonrpc(
                    "common",
                    "authenticate",
                    [credentials.database, credentials.username, credentials.secret, {}],
                    record=record,
                    observe=observe,
                )
            else:
                context = self.call("res.users", "context_get", observe=observe)
                uid = context.get("uid") if isinstance(context, dict) else None
                uid = uid if uid else -1  # JSON-2 needs no uid; -1 = "authenticated"
            if not uid or not isinstance(uid, int):
                # common.authenticate answers false, not an error, for a bad login (§1.1).
                raise PermanentError(
                    f"Odoo rejected the login of user {self.credentials.username!r} on "
                    f"database {self.credentials.database!r}",
                    code="auth_failed",
                    remote_name="odoo.exceptions.AccessDenied",
                )
            self._uid = uid
            return uid

    def call(
        self,
        model: str,
        method: str,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        observe: Observer | None = None,
        records: int | None = None,
    ) -> Any:
        """One ORM method call. `args` is execute_kw's positional list (record ids first for
        record methods); `records` is how many records the call carries, for the observer."""
        kwargs = dict(kwargs or {})
        if self.context:
            kwargs["context"] = {**self.context, **kwargs.get("context", {})}
        record = self._record("object", model, method, records)
        if self.protocol == PROTOCOL_JSON2:
            return self._json2(
                model,
                method,
                self._json2_body(method, list(args), kwargs),
                record=record,
                observe=observe,
            )
        uid = self.authenticate(observe=observe)
        credentials = self.credentials
        try:
            return self._jsonrpc(
                "object",
                "execute_kw",
                [credentials.database, uid, credentials.secret, model, method, list(args), kwargs],
                record=record,
                observe=observe,
            )
        except PermanentError as exc:
            if exc.code == "access_denied":
                self._uid = None  # credentials changed in Odoo: log in again next time
            raise
        except TransientError as exc:
            if exc.code == "session_expired":
                self._uid = None
            raise

    @staticmethod
    def _json2_body(method: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if method not in MODEL_METHODS:
            ids = args.pop(0) if args else []
            body["ids"] = [ids] if isinstance(ids, int) else list(ids)
        names = JSON2_PARAMETER_NAMES.get(method, ())
        if len(args) > len(names):
            raise PermanentError(
                f"Cannot call {method} with {len(args)} positional arguments over JSON-2: "
                "pass them by name",
                code="bad_request",
            )
        body.update(zip(names, args, strict=False))
        body.update(kwargs)
        return body

    def fields(self, model: str, *, observe: Observer | None = None) -> dict[str, dict]:
        """The model's fields (fields_get, cached for the client's life): field names drift
        between Odoo versions, so the connector asks instead of assuming (reference §3)."""
        cached = self._fields.get(model)
        if cached is not None:
            return cached
        result = self.call(
            model,
            "fields_get",
            [],
            {"attributes": ["type", "relation", "selection"]},
            observe=observe,
        )
        fields_map = result if isinstance(result, dict) else {}
        with self._fields_lock:
            self._fields[model] = fields_map
        return fields_map

    def close(self) -> None:
        self.http.close()


# --- one pooled client per System ------------------------------------------------------------
_POOL: dict[int, tuple[str, OdooClient]] = {}
_POOL_LOCK = threading.Lock()


def _fingerprint(system: System, protocol: str, credentials: OdooCredentials) -> str:
    options = system.options or {}
    relevant = {
        "base_url": system.base_url,
        "protocol": protocol,
        "credentials": credentials.fingerprint(),
        "timeouts": [options.get("timeout_seconds"), options.get("connect_timeout_seconds")],
        "max_connections": options.get("max_connections"),
        "context": options.get("context"),
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def odoo_client_build(
    system: System, *, transport: httpx.BaseTransport | None = None
) -> OdooClient:
    """A new client for a System (not pooled): the caller closes it."""
    protocol = protocol_for(system)
    if not system.base_url:
        raise PermanentError(
            f"System {system.code}: no base URL for Odoo", code="configuration_error"
        )
    credentials = OdooCredentials.from_system(system, protocol=protocol)
    options = system.options or {}
    http = http_client_build(
        base_url=system.base_url.rstrip("/"),
        timeout=_timeout_from_options(options),
        limits=_limits_from_options(options),
        transport=transport,
    )
    context = options.get("context") if isinstance(options.get("context"), dict) else None
    return OdooClient(
        base_url=system.base_url,
        protocol=protocol,
        credentials=credentials,
        http=http,
        context=context,
    )


def odoo_client_for(system: System) -> OdooClient:
    """The pooled client for a saved System, rebuilt (old one closed) when its settings change."""
    if system.pk is None:
        raise PermanentError("Save the System before connecting to it", code="configuration_error")
    protocol = protocol_for(system)
    fingerprint = _fingerprint(
        system, protocol, OdooCredentials.from_system(system, protocol=protocol)
    )
    with _POOL_LOCK:
        entry = _POOL.get(system.pk)
        if entry is not None and entry[0] == fingerprint:
            return entry[1]
        client = odoo_client_build(system)
        _POOL[system.pk] = (fingerprint, client)
    if entry is not None:
        entry[1].close()
    return client


def odoo_clients_close() -> None:
    """Close every pooled client (tests, worker shutdown)."""
    with _POOL_LOCK:
        entries = list(_POOL.values())
        _POOL.clear()
    for _, client in entries:
        client.close()
