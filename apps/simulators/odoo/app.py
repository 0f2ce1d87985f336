"""The simulator application: Odoo's four external protocols over one ORM, plus the /sim/ control
endpoints. HTTP-agnostic: server.py feeds it requests and writes the Response it returns.

Protocols (reference §1): /jsonrpc (common, object, db), /xmlrpc/2/<service> (int fault codes),
/xmlrpc/<service> (legacy string fault codes), the web-client session routes, and JSON-2.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
import json
import logging
import os
import secrets
import threading
import time
import xmlrpc.client
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, unquote
from xml.parsers.expat import ExpatError

from . import orm
from .exceptions import (
    AccessDenied,
    AccessError,
    HttpError,
    OdooError,
    SessionExpired,
    UserError,
    exception_name,
)
from .faults import CallInfo, FaultConfigError, FaultInjector
from .methods import GENERIC_METHODS, CreatedIds
from .orm import Env, Records, Store
from .registry import build_registry
from .seed import DATABASE, seed_store

VERSION = "19.0"
VERSION_INFO = [19, 0, 0, "final", 0, ""]
RPC_VERSION_1 = {
    "server_version": VERSION,
    "server_version_info": VERSION_INFO,
    "server_serie": VERSION,
    "protocol_version": 1,
}
logger = logging.getLogger("integrationhub.odoo_sim")

SESSION_COOKIE = "session_id"
SESSION_MAX_AGE = 7 * 24 * 3600
JSON_MIMETYPES = ("application/json", "application/json-rpc")
LOGIN_COOLDOWN_AFTER = 10
LOGIN_COOLDOWN_S = 60.0


class DatabaseNotFound(Exception):
    odoo_name = "psycopg2.OperationalError"

    def __init__(self, db):
        super().__init__(
            f'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "{db}" '
            "does not exist\n"
        )


class InjectedOdooError(Exception):
    """A fault-injected server error with the exception name the rule chose."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.odoo_name = name


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False  # close the connection without answering
    reset: bool = False  # close with RST (SO_LINGER 0)
    delay_s: float = 0.0  # wait before answering (or dropping): slow commit


def json_response(payload, status: int = 200, headers=None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, default=_json_default).encode()
    return Response(status, body, "application/json; charset=utf-8", list(headers or []))


def _json_default(value):
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def text_response(status: int, text: str, headers=None) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8", list(headers or []))


def html_not_found() -> Response:
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n'
        "<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered "
        "the URL manually please check your spelling and try again.</p>\n"
    )
    return Response(404, body.encode(), "text/html; charset=utf-8")


EXPECTED_ERRORS = (
    OdooError,
    HttpError,
    ValueError,
    TypeError,
    AttributeError,
    NameError,
    ExpatError,
)


def _debug_text(exc: BaseException) -> str:
    """An Odoo-looking traceback: the server's frames are not the client's business, but the
    last line carries the exception name and message as in Odoo's `debug`."""
    if isinstance(exc, AccessDenied):
        return ""  # AccessDenied suppresses its traceback in Odoo
    if not isinstance(exc, EXPECTED_ERRORS + (DatabaseNotFound, InjectedOdooError)):
        logger.warning(
            "odoo simulator: unexpected %s",
            type(exc).__name__,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
    return (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/dist-packages/odoo/http.py", line 1957, in _transactioning\n'
        "    return service_model.retrying(func, env=self.env)\n"
        '  File "/usr/lib/python3/dist-packages/odoo/service/model.py", line 156, in retrying\n'
        "    result = func()\n"
        f"{exception_name(exc)}: {exc}\n"
    )


def serialize_exception(exc: BaseException) -> dict:
    """Odoo's serialize_exception: name, message, arguments, context, debug (debug last)."""
    message = exc.description if isinstance(exc, HttpError) else str(exc)
    arguments = list(exc.args) if not isinstance(exc, HttpError) else [exc.description, exc.status]
    return {
        "name": exception_name(exc),
        "message": message,
        "arguments": [a for a in arguments],
        "context": getattr(exc, "context", {}) or {},
        "debug": _debug_text(exc),
    }


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


class CallStats:
    """Counters for /sim/stats beyond the store's record counts (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.connections = 0
        self.protocols: dict[str, int] = {}
        self.services: dict[str, int] = {}
        self.methods: dict[str, int] = {}
        self.models: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.faults: dict[str, int] = {}
        self.logins: dict[str, int] = {}

    def bump(self, counter: dict, key: str, amount: int = 1) -> None:
        with self.lock:
            counter[key] = counter.get(key, 0) + amount


class OdooSimulator:
    """One simulated Odoo server (one database) with its data, sessions, faults and stats."""

    def __init__(
        self,
        db: str = DATABASE,
        state_file: str | os.PathLike | None = None,
        faults: dict | None = None,
    ):
        self.db = db
        self.registry = build_registry()
        self.store = Store(self.registry)
        self.state_file = Path(state_file) if state_file else None
        self.faults = FaultInjector()
        self.call_stats = CallStats()
        self.stopping = threading.Event()
        self.sessions: dict[str, dict] = {}
        self.login_failures: dict[str, list[float]] = {}
        self.on_refuse = None  # set by the server: callable(seconds) closing the port
        self._save_lock = threading.Lock()
        if self.state_file and self.state_file.exists():
            self.load_state(self.state_file)
        else:
            seed_store(self.store)
        if faults:
            self.set_faults(faults)

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Restore the seed data, drop sessions, zero the stats and clear faults."""
        with self.store.lock:
            seed_store(self.store)
            self.sessions.clear()
            self.login_failures.clear()
        self.call_stats.reset()
        self.faults.clear()

    def load_state(self, path: Path) -> None:
        data = json.loads(Path(path).read_text())
        if data.get("format") != "odoo-sim-state/1":
            raise ValueError(f"{path} is not an Odoo simulator state file")
        self.store.restore(data)

    def save_state(self, path: Path | None = None) -> Path | None:
        """Write the data atomically (temp file + rename) so a crash never leaves half a file."""
        target = Path(path) if path else self.state_file
        if target is None:
            return None
        with self._save_lock:
            payload = self.store.dumps()
            self.store.dirty = False
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(payload)
            os.replace(tmp, target)
        return target

    def set_faults(self, config: dict | None) -> None:
        self.faults.configure(config or {})
        outage = self.faults.current_outage()
        if outage is not None and outage.mode == "refuse" and self.on_refuse is not None:
            self.on_refuse(max(0.0, outage.until - time.monotonic()))

    def stats(self) -> dict:
        stats = self.call_stats
        with stats.lock:
            calls = {
                "requests": stats.requests,
                "connections": stats.connections,
                "protocols": dict(stats.protocols),
                "services": dict(stats.services),
                "methods": dict(stats.methods),
                "models": dict(stats.models),
                "errors": dict(stats.errors),
                "faults": dict(stats.faults),
                "logins": dict(stats.logins),
            }
        with self.store.lock:
            calls["created"] = dict(self.store.stats.created)
            calls["written"] = dict(self.store.stats.written)
            calls["unlinked"] = dict(self.store.stats.unlinked)
            calls["records"] = {m: len(t) for m, t in self.store.tables.items()}
        return calls

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stopping.wait(seconds)

    # -- authentication ------------------------------------------------------------------------
    def _check_db(self, db) -> None:
        if db != self.db:
            raise DatabaseNotFound(db)

    def _user_by_login(self, login) -> dict | None:
        for user in self.store.tables["res.users"].values():
            if user.get("login") == login:
                return user
        return None

    def _password_ok(self, user: dict, password) -> bool:
        if not isinstance(password, str) or not password or not user.get("active", True):
            return False
        return password == user.get("__password") or password in (user.get("__api_keys") or [])

    def authenticate(self, db, login, password, client_ip: str = "") -> int | bool:
        """common.login/authenticate: the uid, or False on bad credentials (never an error)."""
        self._check_db(db)
        with self.store.lock:
            failures = [
                t
                for t in self.login_failures.get(client_ip, [])
                if time.monotonic() - t < LOGIN_COOLDOWN_S
            ]
            if len(failures) >= LOGIN_COOLDOWN_AFTER:
                self.call_stats.bump(self.call_stats.logins, "cooldown")
                return False
            user = self._user_by_login(login)
            if user is None or not self._password_ok(user, password):
                failures.append(time.monotonic())
                self.login_failures[client_ip] = failures
                self.call_stats.bump(self.call_stats.logins, "failed")
                return False
            self.login_failures.pop(client_ip, None)
            self.store.tables["res.users"][user["id"]]["__login_date"] = orm.now_string()
            self.call_stats.bump(self.call_stats.logins, "ok")
            return user["id"]

    def check_credentials(self, db, uid, password) -> int:
        """security.check for execute_kw: AccessDenied unless uid/password (or API key) match."""
        self._check_db(db)
        try:
            uid = int(uid)
        except (TypeError, ValueError):
            raise AccessDenied() from None
        with self.store.lock:
            user = self.store.tables["res.users"].get(uid)
            valid = user is not None and self._password_ok(user, password)
        if not valid:
            raise AccessDenied()
        return uid

    def user_by_api_key(self, key: str) -> int | None:
        if not key:
            return None
        with self.store.lock:
            for user in self.store.tables["res.users"].values():
                if user.get("active", True) and key in (user.get("__api_keys") or []):
                    return user["id"]
        return None

    # -- the ORM entry point -------------------------------------------------------------------
    def resolve_method(self, model: str, method: str):
        if model not in self.registry:
            raise UserError(f"Object {model} doesn't exist")
        if method.startswith("_"):
            raise AccessError(f"Private methods (such as '{method}') cannot be called remotely.")
        found = self.registry[model].methods.get(method) or GENERIC_METHODS.get(method)
        if found is None:
            raise AttributeError(f"type object '{model}' has no attribute '{method}'")
        return found

    def call_kw(self, uid: int, model: str, method: str, args, kwargs, protocol: str):
        """execute_kw semantics: ids from args[0] unless @api.model; context from kwargs."""
        found = self.resolve_method(model, method)
        args = list(args or [])
        kwargs = dict(kwargs or {})
        context = kwargs.pop("context", None) or {}
        if not isinstance(context, dict):
            raise ValueError("context must be a dictionary")
        env = Env(self.store, uid, context)
        if found.api_model:
            ids = []
        else:
            if not args:
                raise TypeError(f"{method}() missing 1 required positional argument: 'ids'")
            ids = _normalize_ids(args.pop(0))
        result = self._run(env, model, method, found, ids, args, kwargs)
        if method == "create" and isinstance(result, CreatedIds):
            first = (args or [None])[0] if args else kwargs.get("vals_list")
            return result[0] if isinstance(first, dict) else list(result)
        return result

    def _run(self, env: Env, model: str, method: str, found, ids, args, kwargs):
        recs = Records(env, model, ids)
        try:
            _signature(found.func).bind(recs, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{method}() {exc}") from None
        self.call_stats.bump(self.call_stats.models, model)
        self.call_stats.bump(self.call_stats.methods, f"{model}.{method}")
        logger.debug("uid %s calls %s.%s ids=%s", env.uid, model, method, ids[:10])
        with self.store.transaction():
            if found.access != "none":
                env.check_access(model, found.access)
            result = found.func(recs, *args, **kwargs)
        return result

    # -- services ------------------------------------------------------------------------------
    def service_common(self, method: str, args: list, client_ip: str):
        if method == "version":
            return dict(RPC_VERSION_1)
        if method == "about":
            return "See https://www.odoo.com (simulated by integrationhub)"
        if method == "login":
            db, login, password = (list(args) + [None] * 3)[:3]
            return self.authenticate(db, login, password, client_ip)
        if method == "authenticate":
            db, login, password = (list(args) + [None] * 3)[:3]
            return self.authenticate(db, login, password, client_ip)
        raise NameError(f"Method not available {method}")

    def service_db(self, method: str, args: list):
        if method == "list":
            return [self.db]
        if method == "server_version":
            return VERSION
        if method == "db_exist":
            return bool(args) and args[0] == self.db
        if method == "list_lang":
            return [["en_US", "English (US)"]]
        if method == "list_countries":
            return [
                [c["code"].lower(), c["name"]] for c in self.store.tables["res.country"].values()
            ]
        if method in (
            "create_database",
            "duplicate_database",
            "drop",
            "dump",
            "restore",
            "rename",
            "change_admin_password",
            "migrate_databases",
        ):
            raise AccessDenied()  # the master password is not configured on the simulator
        raise NameError(f"Method not available {method}")

    def service_object(self, method: str, args: list, protocol: str):
        if method not in ("execute", "execute_kw"):
            raise NameError(f"Method not available {method}")
        if len(args) < 5:
            raise TypeError(f"{method}() takes at least 5 arguments ({len(args)} given)")
        db, uid, password, model, model_method = args[:5]
        uid = self.check_credentials(db, uid, password)
        if not isinstance(model, str) or not isinstance(model_method, str):
            raise TypeError(f"{method}() needs the model and method names as strings")
        if method == "execute_kw":
            call_args = args[5] if len(args) > 5 else []
            call_kwargs = args[6] if len(args) > 6 else {}
            if not isinstance(call_args, list | tuple):
                raise TypeError("execute_kw() args must be a list")
            if call_kwargs is None or call_kwargs is False:
                call_kwargs = {}
            if not isinstance(call_kwargs, dict):
                raise TypeError("execute_kw() kwargs must be a dictionary")
        else:
            call_args, call_kwargs = list(args[5:]), {}
        return self.call_kw(uid, model, model_method, call_args, call_kwargs, protocol)

    def dispatch_rpc(self, protocol: str, service: str, method: str, args: list, client_ip: str):
        if service == "common":
            return self.service_common(method, args, client_ip)
        if service == "db":
            return self.service_db(method, args)
        if service == "object":
            return self.service_object(method, args, protocol)
        raise NameError(f"Service not available {service}")

    # -- HTTP entry ----------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: dict, body: bytes, client_ip: str
    ) -> Response:
        path, _, query = raw_path.partition("?")
        path = unquote(path)
        with self.call_stats.lock:
            self.call_stats.requests += 1
        if path.startswith("/sim/"):
            return self.handle_sim(method, path, query, body, client_ip)
        outage = self.faults.current_outage()
        if outage is not None:
            self.call_stats.bump(self.call_stats.faults, f"outage_{outage.mode}")
            if outage.mode == "reset":
                return Response(reset=True, drop=True)
            retry = []
            if outage.until is not None:
                retry = [("Retry-After", str(max(1, int(outage.until - time.monotonic() + 0.999))))]
            return text_response(503, "503 Service Unavailable", retry)
        if path == "/jsonrpc":
            return self.handle_jsonrpc(method, headers, body, client_ip)
        if path.startswith("/xmlrpc/"):
            return self.handle_xmlrpc(method, path, body, client_ip)
        if path.startswith("/json/2") or path == "/json/2":
            return self.handle_json2(method, path, headers, body, client_ip)
        if path.startswith("/doc-bearer/"):
            return self.handle_api_doc(path, headers)
        if path in ("/web/version", "/json/version"):
            return json_response({"version_info": VERSION_INFO, "version": VERSION})
        if path.startswith("/web/"):
            return self.handle_web(method, path, headers, body, client_ip)
        if path in ("/", "/web/health", "/health"):
            return json_response({"status": "pass"})
        return html_not_found()

    # -- /jsonrpc ------------------------------------------------------------------------------
    def _parse_jsonrpc(self, method: str, headers: dict, body: bytes):
        if method != "POST":
            return None, text_response(405, "405 Method Not Allowed: use POST")
        mimetype = headers.get("content-type", "").split(";")[0].strip().lower()
        if mimetype not in JSON_MIMETYPES:
            return None, text_response(
                400,
                f"Bad Request: Request inferred type is compatible with ['http'] but 'json' was "
                f"expected by the route (Content-Type {mimetype or 'missing'!r}; "
                "send application/json)",
            )
        try:
            request = json.loads(body or b"null")
        except ValueError:
            return None, text_response(400, "Invalid JSON data")
        if not isinstance(request, dict):
            return None, text_response(400, "Invalid JSON-RPC data")
        params = request.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            return None, text_response(400, "Invalid JSON-RPC data")
        return request, None

    def _jsonrpc_result(self, request_id, result=None, error=None) -> Response:
        payload = {"jsonrpc": "2.0", "id": request_id}
        if error is not None:
            payload["error"] = error
        elif result is not None:
            payload["result"] = result  # Odoo omits "result" when the method returned None
        return json_response(payload)

    def _jsonrpc_error(self, request_id, exc: BaseException) -> Response:
        self.call_stats.bump(self.call_stats.errors, exception_name(exc))
        code, message = 200, "Odoo Server Error"
        if isinstance(exc, SessionExpired):
            code, message = 100, "Odoo Session Expired"
        elif isinstance(exc, HttpError) and exc.status == 404:
            code, message = 404, "404: Not Found"
        return self._jsonrpc_result(
            request_id, error={"code": code, "message": message, "data": serialize_exception(exc)}
        )

    def _apply_faults(self, call: CallInfo, protocol_error):
        """Run the pre-call part of the fault plan; returns (response or None, decision)."""
        decision = self.faults.decide(call)
        if decision.latency_s:
            self.call_stats.bump(self.call_stats.faults, "latency")
            self.sleep(decision.latency_s)
        rule = decision.terminal
        if rule is None:
            return None, decision
        self.call_stats.bump(
            self.call_stats.faults, rule.kind if rule.kind != "error" else rule.error
        )
        if rule.kind == "rate_limit":
            retry_after = rule.retry_after
            text = f"{int(retry_after)}" if float(retry_after).is_integer() else f"{retry_after}"
            return text_response(429, "429 Too Many Requests", [("Retry-After", text)]), decision
        if rule.kind == "timeout":
            self.sleep(rule.timeout_s)
            return Response(drop=True), decision
        if rule.error == "reset":
            return Response(drop=True, reset=True), decision
        if rule.error == "odoo":
            return protocol_error(InjectedOdooError(rule.error_name, rule.error_message)), decision
        status = int(rule.error.split("_")[1])
        reason = {
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }[status]
        return text_response(status, f"{status} {reason}"), decision

    @staticmethod
    def _after_commit(response: Response, decision) -> Response:
        rule = decision.slow_commit if decision is not None else None
        if rule is not None:
            response.delay_s = rule.delay_ms / 1000.0
            response.drop = rule.drop
        return response

    def _count_call(self, protocol: str, service: str, method: str) -> None:
        self.call_stats.bump(self.call_stats.protocols, protocol)
        self.call_stats.bump(self.call_stats.services, f"{service}.{method}")

    def handle_jsonrpc(self, method, headers, body, client_ip) -> Response:
        request, error = self._parse_jsonrpc(method, headers, body)
        if error is not None:
            return error
        request_id = request.get("id")
        params = request.get("params") or {}
        service = params.get("service")
        service_method = params.get("method")
        args = params.get("args") or []
        self._count_call("jsonrpc", str(service), str(service_method))
        call = _call_info("jsonrpc", service, service_method, args)
        fault, decision = self._apply_faults(call, lambda exc: self._jsonrpc_error(request_id, exc))
        if fault is not None:
            return fault
        try:
            if not isinstance(args, list):
                raise TypeError("args must be a list")
            result = self.dispatch_rpc(
                "jsonrpc", str(service), str(service_method), args, client_ip
            )
        except Exception as exc:  # every error becomes Odoo's JSON-RPC error object
            return self._jsonrpc_error(request_id, exc)
        return self._after_commit(self._jsonrpc_result(request_id, result), decision)

    # -- XML-RPC -------------------------------------------------------------------------------
    def handle_xmlrpc(self, method, path, body, client_ip) -> Response:
        parts = path.strip("/").split("/")
        legacy = not (len(parts) == 3 and parts[1] == "2")
        if legacy and len(parts) != 2:
            return html_not_found()
        service = parts[-1]
        if method != "POST":
            return text_response(405, "405 Method Not Allowed: use POST")
        try:
            params, rpc_method = xmlrpc.client.loads(body, use_builtin_types=True)
        except Exception as exc:  # malformed XML: a fault like Odoo's generic handler
            return self._xmlrpc_fault(exc, legacy)
        params = list(params)
        self._count_call("xmlrpc", service, str(rpc_method))
        call = _call_info("xmlrpc", service, rpc_method, params)
        fault, decision = self._apply_faults(call, lambda exc: self._xmlrpc_fault(exc, legacy))
        if fault is not None:
            return fault
        try:
            result = self.dispatch_rpc("xmlrpc", service, str(rpc_method), params, client_ip)
            payload = xmlrpc.client.dumps(
                (_xmlrpc_clean(result),), methodresponse=True, allow_none=False
            )
        except Exception as exc:
            return self._xmlrpc_fault(exc, legacy)
        response = Response(200, payload.encode(), "text/xml; charset=utf-8")
        return self._after_commit(response, decision)

    def _xmlrpc_fault(self, exc: BaseException, legacy: bool) -> Response:
        self.call_stats.bump(self.call_stats.errors, exception_name(exc))
        if legacy:
            if isinstance(exc, AccessDenied):
                fault = xmlrpc.client.Fault("AccessDenied", str(exc))  # type: ignore[arg-type]
            elif isinstance(exc, OdooError) and not isinstance(exc, SessionExpired):
                kind = exc.legacy_fault_kind
                if kind == "ValidationError":
                    kind = "UserError"
                fault = xmlrpc.client.Fault(f"warning -- {kind}\n\n{exc}", "")  # type: ignore[arg-type]
            else:
                fault = xmlrpc.client.Fault(str(exc), _debug_text(exc))  # type: ignore[arg-type]
        else:
            if isinstance(exc, AccessError):
                fault = xmlrpc.client.Fault(4, str(exc))
            elif isinstance(exc, AccessDenied):
                fault = xmlrpc.client.Fault(3, str(exc))
            elif isinstance(exc, UserError):
                fault = xmlrpc.client.Fault(2, str(exc))
            else:
                fault = xmlrpc.client.Fault(1, _debug_text(exc))
        payload = xmlrpc.client.dumps(fault, methodresponse=True, allow_none=False)
        return Response(200, payload.encode(), "text/xml; charset=utf-8")

    # -- web-client routes ---------------------------------------------------------------------
    def _session(self, headers: dict) -> tuple[str | None, dict | None]:
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is an anonymous request
            return None, None
        morsel = cookie.get(SESSION_COOKIE)
        if morsel is None:
            return None, None
        return morsel.value, self.sessions.get(morsel.value)

    def session_info(self, uid: int, sid: str) -> dict:
        with self.store.lock:
            return self._session_info(uid, sid)

    def _session_info(self, uid: int, sid: str) -> dict:
        user = self.store.tables["res.users"][uid]
        partner = self.store.tables["res.partner"][user["partner_id"]]
        company = self.store.tables["res.company"][user.get("company_id") or 1]
        currencies = {
            str(c["id"]): {
                "symbol": c.get("symbol"),
                "position": c.get("position"),
                "digits": [69, 2],
            }
            for c in self.store.tables["res.currency"].values()
        }
        from .security import user_groups

        env = Env(self.store, uid)
        groups = user_groups(env)
        return {
            "uid": uid,
            "is_system": "base.group_system" in groups,
            "is_admin": "base.group_system" in groups,
            "is_public": False,
            "is_internal_user": "base.group_user" in groups,
            "user_context": {
                "lang": partner.get("lang") or "en_US",
                "tz": partner.get("tz") or "Europe/Berlin",
                "uid": uid,
            },
            "db": self.db,
            "registry_hash": "simulated",
            "server_version": VERSION,
            "server_version_info": VERSION_INFO,
            "support_url": "https://www.odoo.com/buy",
            "name": partner.get("name"),
            "username": user.get("login"),
            "partner_display_name": orm.display_name(env, "res.partner", partner["id"]),
            "partner_id": partner["id"],
            "web.base.url": "http://127.0.0.1",
            "active_ids_limit": 20000,
            "max_file_upload_size": 134217728,
            "home_action_id": False,
            "cache_hashes": {},
            "currencies": currencies,
            "user_companies": {
                "current_company": company["id"],
                "allowed_companies": {
                    str(company["id"]): {
                        "id": company["id"],
                        "name": company["name"],
                        "sequence": 10,
                        "parent_id": False,
                        "child_ids": [],
                    }
                },
                "disallowed_ancestor_companies": {},
            },
            "show_effect": True,
            "display_switch_company_menu": False,
            "user_id": [uid],
        }

    def handle_web(self, method, path, headers, body, client_ip) -> Response:
        routes = {
            "/web/session/authenticate",
            "/web/session/get_session_info",
            "/web/session/destroy",
            "/web/session/check",
            "/web/session/modules",
            "/web/webclient/version_info",
            "/web/database/list",
            "/web/dataset/call_kw",
            "/web/dataset/call_button",
        }
        is_call = path.startswith("/web/dataset/call_kw/") or path.startswith(
            "/web/dataset/call_button/"
        )
        if path == "/web/session/logout":
            sid, _ = self._session(headers)
            self.sessions.pop(sid, None)
            return Response(303, b"", "text/html", [("Location", "/odoo"), _expired_cookie()])
        if path not in routes and not is_call:
            return html_not_found()
        request, error = self._parse_jsonrpc(method, headers, body)
        if error is not None:
            return error
        request_id = request.get("id")
        params = request.get("params") or {}
        sid, session = self._session(headers)
        route = path
        model_for_stats = params.get("model") if isinstance(params.get("model"), str) else None
        call = CallInfo(
            "web", "web", str(params.get("method") or route.rsplit("/", 1)[-1]), model_for_stats
        )
        self._count_call("web", "web", route.rsplit("/", 1)[-1] if not is_call else "call_kw")
        fault, decision = self._apply_faults(call, lambda exc: self._jsonrpc_error(request_id, exc))
        if fault is not None:
            return fault
        extra_headers: list[tuple[str, str]] = []
        try:
            if route == "/web/session/authenticate":
                db = params.get("db")
                if db != self.db:
                    raise AccessError("Database not found.")
                uid = self.authenticate(db, params.get("login"), params.get("password"), client_ip)
                if not uid:
                    raise AccessDenied()
                new_sid = secrets.token_urlsafe(63)[:84]
                self.sessions[new_sid] = {"uid": uid, "db": db, "created": time.time()}
                if sid:
                    self.sessions.pop(sid, None)
                extra_headers.append(
                    (
                        "Set-Cookie",
                        f"{SESSION_COOKIE}={new_sid}; Max-Age={SESSION_MAX_AGE}; HttpOnly; "
                        "Path=/; SameSite=Lax",
                    )
                )
                result = self.session_info(uid, new_sid)
            elif route == "/web/webclient/version_info":
                result = dict(RPC_VERSION_1)
            elif route == "/web/database/list":
                result = [self.db]
            elif route == "/web/session/destroy":
                if sid:
                    self.sessions.pop(sid, None)
                extra_headers.append(_expired_cookie())
                result = None
            else:
                if session is None:
                    raise SessionExpired()
                uid = session["uid"]
                user = self.store.tables["res.users"].get(uid)
                if user is None or not user.get("active", True):
                    self.sessions.pop(sid, None)
                    raise SessionExpired()
                if route == "/web/session/get_session_info":
                    result = self.session_info(uid, sid)
                elif route == "/web/session/check":
                    result = None
                elif route == "/web/session/modules":
                    result = [
                        "base",
                        "web",
                        "product",
                        "uom",
                        "purchase",
                        "purchase_stock",
                        "stock",
                        "account",
                        "analytic",
                        "project",
                        "account_budget",
                    ]
                else:
                    model = params.get("model")
                    model_method = params.get("method")
                    if not isinstance(model, str) or not isinstance(model_method, str):
                        raise TypeError("call_kw() needs model and method")
                    if model not in self.registry:
                        raise HttpError(404, f"the model {model!r} does not exist")
                    result = self.call_kw(
                        uid,
                        model,
                        model_method,
                        params.get("args") or [],
                        params.get("kwargs") or {},
                        "web",
                    )
        except Exception as exc:
            return self._jsonrpc_error(request_id, exc)
        response = self._jsonrpc_result(request_id, result)
        response.headers.extend(extra_headers)
        return self._after_commit(response, decision)

    # -- JSON-2 --------------------------------------------------------------------------------
    def _json2_error(self, exc: BaseException) -> Response:
        self.call_stats.bump(self.call_stats.errors, exception_name(exc))
        if isinstance(exc, HttpError):
            status = exc.status
        elif isinstance(exc, OdooError):
            status = exc.http_status
        else:
            status = 500
        headers = [("WWW-Authenticate", 'Bearer realm="odoo"')] if status == 401 else []
        return json_response(serialize_exception(exc), status, headers)

    def handle_json2(self, method, path, headers, body, client_ip) -> Response:
        parts = path.strip("/").split("/")
        if len(parts) != 4 or not parts[2] or not parts[3]:
            return self._json2_error(HttpError(404, "Did you mean POST /json/2/<model>/<method>?"))
        model, model_method = parts[2], parts[3]
        if method != "POST":
            return self._json2_error(
                HttpError(405, "The method is not allowed for the requested URL.")
            )
        self._count_call("json2", "json2", model_method)
        call = CallInfo("json2", "json2", model_method, model)
        fault, decision = self._apply_faults(call, self._json2_error)
        if fault is not None:
            return fault
        try:
            authorization = headers.get("authorization", "")
            scheme, _, key = authorization.partition(" ")
            uid = self.user_by_api_key(key.strip()) if scheme.lower() == "bearer" else None
            if uid is None:
                raise HttpError(401, "Invalid apikey")
            database = headers.get("x-odoo-database")
            if database and database != self.db:
                raise HttpError(404, f"database {database!r} not found")
            mimetype = headers.get("content-type", "").split(";")[0].strip().lower()
            if body and body.strip():
                if mimetype and mimetype not in JSON_MIMETYPES:
                    raise HttpError(
                        415, f"unsupported content type {mimetype!r}: send application/json"
                    )
                try:
                    params = json.loads(body)
                except ValueError as exc:
                    raise HttpError(400, f"could not parse the body as json: {exc}") from None
            else:
                params = {}
            if not isinstance(params, dict):
                raise HttpError(
                    400, "the body must be a JSON object with the method's named arguments"
                )
            if model not in self.registry:
                raise HttpError(404, f"the model {model!r} does not exist")
            try:
                found = self.resolve_method(model, model_method)
            except (AttributeError, AccessError):
                raise HttpError(
                    404, f"The method {model_method!r} does not exist on the model {model!r}"
                ) from None
            ids = _normalize_ids(params.pop("ids", None) or [])
            context = params.pop("context", None) or {}
            if found.api_model and ids:
                raise HttpError(422, f"cannot call {model}.{model_method} with ids")
            env = Env(self.store, uid, context if isinstance(context, dict) else {})
            try:
                _signature(found.func).bind(Records(env, model, ids), **params)
            except TypeError as exc:
                raise HttpError(422, f"{model_method}() {exc}") from None
            result = self._run(env, model, model_method, found, ids, [], params)
            if isinstance(result, CreatedIds):
                result = list(result)
        except Exception as exc:
            return self._json2_error(exc)
        return self._after_commit(json_response(result), decision)

    # -- api_doc -------------------------------------------------------------------------------
    def handle_api_doc(self, path: str, headers: dict) -> Response:
        """/doc-bearer/index.json and /doc-bearer/<model>.json (Odoo 19 api_doc): the method
        signatures odoo-client-lib reads to name JSON-2 arguments."""
        scheme, _, key = headers.get("authorization", "").partition(" ")
        uid = self.user_by_api_key(key.strip()) if scheme.lower() == "bearer" else None
        if uid is None:
            return self._json2_error(HttpError(401, "Invalid apikey"))
        name = path[len("/doc-bearer/") :]
        if name == "index.json":
            models = [
                {"model": model, "name": mdef.description}
                for model, mdef in sorted(self.registry.items())
            ]
            return json_response({"models": models})
        model = name.removesuffix(".json")
        if model not in self.registry or not name.endswith(".json"):
            return self._json2_error(HttpError(404, f"the model {model!r} does not exist"))
        mdef = self.registry[model]
        methods = {**GENERIC_METHODS, **mdef.methods}
        described = {}
        for method_name, found in sorted(methods.items()):
            parameters = {}
            for param in list(_signature(found.func).parameters.values())[1:]:
                if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                    continue
                entry = {}
                if param.default is not param.empty:
                    entry["default"] = param.default
                parameters[param.name] = entry
            described[method_name] = {
                "parameters": parameters,
                "api": ["model"] if found.api_model else [],
                "doc": (found.func.__doc__ or "").strip() or None,
            }
        with self.store.lock:
            env = Env(self.store, orm.SUPERUSER_ID, su=True)
            fields = GENERIC_METHODS["fields_get"].func(Records(env, model, []))
        return json_response(
            {
                "model": model,
                "name": mdef.description,
                "doc": None,
                "fields": fields,
                "methods": described,
            }
        )

    # -- /sim/ ---------------------------------------------------------------------------------
    def handle_sim(self, method, path, query, body, client_ip) -> Response:
        if not is_loopback(client_ip):
            return json_response(
                {"error": "the /sim/ control endpoints answer loopback clients only"}, 403
            )
        if path == "/sim/stats" and method == "GET":
            return json_response(self.stats())
        if path == "/sim/health":
            return json_response({"status": "ok", "db": self.db, "version": VERSION})
        if path == "/sim/faults":
            if method == "GET":
                return json_response(self.faults.describe())
            if method == "DELETE":
                self.set_faults({})
                return json_response(self.faults.describe())
            if method in ("POST", "PUT"):
                try:
                    config = json.loads(body or b"{}")
                    self.set_faults(config)
                except (ValueError, FaultConfigError) as exc:
                    return json_response({"error": f"invalid fault configuration: {exc}"}, 400)
                return json_response(self.faults.describe())
        if path == "/sim/reset" and method == "POST":
            self.reset()
            return json_response({"status": "reset"})
        if path == "/sim/save" and method == "POST":
            target = self.save_state()
            if target is None:
                return json_response({"error": "no --state file configured"}, 400)
            return json_response({"status": "saved", "path": str(target)})
        if path.startswith("/sim/records/") and method == "GET":
            model = path[len("/sim/records/") :]
            if model not in self.registry:
                return json_response({"error": f"unknown model {model!r}"}, 404)
            qs = parse_qs(query)
            fields = [f for f in ",".join(qs.get("fields", [])).split(",") if f] or None
            try:
                domain = json.loads(qs["domain"][0]) if "domain" in qs else []
                with self.store.lock:
                    env = Env(self.store, orm.SUPERUSER_ID, su=True)
                    ids = orm.search_ids(env, model, domain, active_test=False, order="id")
                    rows = orm.read_records(env, model, ids, fields)
            except ValueError as exc:
                return json_response({"error": str(exc)}, 400)
            return json_response(rows)
        return json_response({"error": f"unknown simulator endpoint {method} {path}"}, 404)


@functools.lru_cache(maxsize=1024)
def _signature(func) -> inspect.Signature:
    return inspect.signature(func)


def _expired_cookie() -> tuple[str, str]:
    return ("Set-Cookie", f"{SESSION_COOKIE}=; Max-Age=0; HttpOnly; Path=/; SameSite=Lax")


def _normalize_ids(value) -> list[int]:
    if value is None or value is False:
        return []
    if isinstance(value, bool):
        raise TypeError(f"Invalid record ids: {value!r}")
    if isinstance(value, int):
        return [value]
    if isinstance(value, list | tuple):
        ids = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int):
                raise TypeError(f"Invalid record id {item!r}: ids must be integers")
            ids.append(item)
        return ids
    raise TypeError(f"Invalid record ids: {value!r}")


def _call_info(protocol: str, service, method, args) -> CallInfo:
    service = str(service)
    method = str(method)
    if (
        service == "object"
        and method in ("execute", "execute_kw")
        and isinstance(args, list)
        and len(args) >= 5
    ):
        return CallInfo(protocol, service, str(args[4]), str(args[3]))
    return CallInfo(protocol, service, method, None)


def _xmlrpc_clean(value):
    """Odoo's marshaller: strips control characters from strings (reference §1.2)."""
    if isinstance(value, str):
        if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
            return "".join(c for c in value if ord(c) >= 32 or c in "\t\n\r")
        return value
    if isinstance(value, dict):
        return {k: _xmlrpc_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_xmlrpc_clean(v) for v in value]
    return value
