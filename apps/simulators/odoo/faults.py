"""Fault injection: latency, errors, timeouts, 429 rate limiting, outages and slow commits,
targeted by protocol / service / method / model and limited to the next N calls.

Configuration (JSON, at start with --faults or at runtime with POST /sim/faults; {} clears):

    {"latency_ms": 50, "jitter_ms": 20,                  # every matching call is slower
     "error_rate": 0.1, "error": "http_500",   # http_500|http_502|http_503|http_504|odoo|reset
     "timeout_rate": 0.0, "timeout_s": 30,               # hold the request, then drop it unapplied
     "rate_limit": {"rate": 1.0, "retry_after": 2},      # HTTP 429 with Retry-After
     "slow_commit": {"delay_ms": 3000, "drop": true},    # apply, then answer late (or never)
     "outage": {"mode": "503", "duration_s": 10},   # 503|reset|refuse; no duration: until cleared
     "match": {"protocols": ["jsonrpc"], "services": ["object"],
               "methods": ["create"], "models": ["purchase.order"]},
     "count": 3,                                          # only the next 3 matching calls
     "seed": 42,                                          # reproducible randomness
     "rules": [{"kind": "error", "error": "odoo", "methods": ["write"], "count": 1}, ...]}

The shorthand keys become rules sharing the top-level match/count; "rules" adds more. Rule kinds:
latency, error, timeout, rate_limit, slow_commit.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

RULE_KINDS = ("latency", "error", "timeout", "rate_limit", "slow_commit")
ERROR_KINDS = ("http_500", "http_502", "http_503", "http_504", "odoo", "reset")
OUTAGE_MODES = ("503", "reset", "refuse")


class FaultConfigError(ValueError):
    pass


@dataclass
class CallInfo:
    protocol: str  # jsonrpc | xmlrpc | web | json2
    service: str  # common | object | db | web | json2
    method: str  # the ORM method for object calls, else the service method
    model: str | None = None


@dataclass
class Rule:
    kind: str
    rate: float = 1.0
    count: int | None = None
    protocols: frozenset[str] | None = None
    services: frozenset[str] | None = None
    methods: frozenset[str] | None = None
    models: frozenset[str] | None = None
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error: str = "http_500"
    error_name: str = "psycopg2.errors.SerializationFailure"
    error_message: str = "could not serialize access due to concurrent update"
    timeout_s: float = 30.0
    retry_after: float = 1.0
    delay_ms: float = 0.0
    drop: bool = False
    fired: int = 0

    def matches(self, call: CallInfo) -> bool:
        return (
            (self.protocols is None or call.protocol in self.protocols)
            and (self.services is None or call.service in self.services)
            and (self.methods is None or call.method in self.methods)
            and (self.models is None or (call.model or "") in self.models)
        )

    def describe(self) -> dict:
        data = {
            "kind": self.kind,
            "rate": self.rate,
            "count": self.count,
            "fired": self.fired,
        }
        for name in ("protocols", "services", "methods", "models"):
            value = getattr(self, name)
            if value is not None:
                data[name] = sorted(value)
        extra = {
            "latency": ("latency_ms", "jitter_ms"),
            "error": ("error", "error_name", "error_message"),
            "timeout": ("timeout_s",),
            "rate_limit": ("retry_after",),
            "slow_commit": ("delay_ms", "drop"),
        }[self.kind]
        for name in extra:
            data[name] = getattr(self, name)
        return data


@dataclass
class Decision:
    """What to do with one call, decided before it runs."""

    latency_s: float = 0.0
    terminal: Rule | None = None  # error, timeout or rate_limit: the call is not applied
    slow_commit: Rule | None = None  # applied, then answered late or dropped


@dataclass
class Outage:
    mode: str
    until: float | None  # monotonic deadline; None = until cleared

    def active(self) -> bool:
        return self.until is None or time.monotonic() < self.until


def _names(value, label: str) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise FaultConfigError(f"{label} must be a list of names")
    return frozenset(value)


def _number(data: dict, key: str, default: float, minimum: float = 0.0) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise FaultConfigError(f"{key} must be a number >= {minimum}")
    return float(value)


def _rate(data: dict, key: str, default: float = 1.0) -> float:
    value = _number(data, key, default)
    if value > 1.0:
        raise FaultConfigError(f"{key} must be between 0 and 1")
    return value


def _rule(kind: str, data: dict, match: dict, count) -> Rule:
    if kind not in RULE_KINDS:
        raise FaultConfigError(f"unknown rule kind {kind!r}; expected one of {RULE_KINDS}")
    count = data.get("count", count)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise FaultConfigError("count must be a non-negative integer")
    merged_match = {**match, **(data.get("match") or {})}
    for key in ("protocols", "services", "methods", "models"):
        if key in data:
            merged_match[key] = data[key]
    rule = Rule(
        kind=kind,
        rate=_rate(data, "rate"),
        count=count,
        protocols=_names(merged_match.get("protocols"), "protocols"),
        services=_names(merged_match.get("services"), "services"),
        methods=_names(merged_match.get("methods"), "methods"),
        models=_names(merged_match.get("models"), "models"),
    )
    if kind == "latency":
        rule.latency_ms = _number(data, "latency_ms", 0.0)
        rule.jitter_ms = _number(data, "jitter_ms", 0.0)
    elif kind == "error":
        rule.error = data.get("error", "http_500")
        if rule.error not in ERROR_KINDS:
            raise FaultConfigError(f"error must be one of {ERROR_KINDS}")
        rule.error_name = str(data.get("error_name", rule.error_name))
        rule.error_message = str(data.get("error_message", rule.error_message))
    elif kind == "timeout":
        rule.timeout_s = _number(data, "timeout_s", 30.0)
    elif kind == "rate_limit":
        rule.retry_after = _number(data, "retry_after", 1.0)
    elif kind == "slow_commit":
        rule.delay_ms = _number(data, "delay_ms", 0.0)
        rule.drop = bool(data.get("drop", False))
    return rule


def parse_config(config: dict) -> tuple[list[Rule], Outage | None, int | None]:
    """Validate a fault configuration; raises FaultConfigError with the reason."""
    if not isinstance(config, dict):
        raise FaultConfigError("the fault configuration must be a JSON object")
    known = {
        "latency_ms",
        "jitter_ms",
        "error_rate",
        "error",
        "error_name",
        "error_message",
        "timeout_rate",
        "timeout_s",
        "rate_limit",
        "slow_commit",
        "outage",
        "match",
        "count",
        "seed",
        "rules",
    }
    unknown = set(config) - known
    if unknown:
        raise FaultConfigError(f"unknown fault settings: {sorted(unknown)}")
    match = config.get("match") or {}
    if not isinstance(match, dict):
        raise FaultConfigError("match must be an object")
    count = config.get("count")
    rules: list[Rule] = []
    if config.get("latency_ms") or config.get("jitter_ms"):
        rules.append(_rule("latency", config, match, count))
    if config.get("rate_limit"):
        data = config["rate_limit"] if isinstance(config["rate_limit"], dict) else {}
        rules.append(_rule("rate_limit", data, match, count))
    if "error_rate" in config:
        data = {"rate": config["error_rate"]}
        for key in ("error", "error_name", "error_message"):
            if key in config:
                data[key] = config[key]
        rules.append(_rule("error", data, match, count))
    if "timeout_rate" in config or "timeout_s" in config:
        data = {"rate": config.get("timeout_rate", 1.0), "timeout_s": config.get("timeout_s", 30)}
        rules.append(_rule("timeout", data, match, count))
    if config.get("slow_commit"):
        data = config["slow_commit"] if isinstance(config["slow_commit"], dict) else {}
        rules.append(_rule("slow_commit", data, match, count))
    for data in config.get("rules") or []:
        if not isinstance(data, dict) or "kind" not in data:
            raise FaultConfigError("every rule needs a kind")
        rules.append(_rule(data["kind"], data, match, count))
    outage = None
    if config.get("outage"):
        data = config["outage"] if isinstance(config["outage"], dict) else {}
        mode = str(data.get("mode", "503"))
        if mode not in OUTAGE_MODES:
            raise FaultConfigError(f"outage mode must be one of {OUTAGE_MODES}")
        duration = data.get("duration_s")
        if duration is not None:
            duration = _number(data, "duration_s", 0.0)
        if mode == "refuse" and duration is None:
            raise FaultConfigError(
                "a refuse outage needs duration_s: nothing can clear it while the port is closed"
            )
        outage = Outage(mode, None if duration is None else time.monotonic() + duration)
    seed = config.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise FaultConfigError("seed must be an integer")
    return rules, outage, seed


@dataclass
class FaultInjector:
    rules: list[Rule] = field(default_factory=list)
    outage: Outage | None = None
    config: dict[str, Any] = field(default_factory=dict)
    _random: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, config: dict | None) -> None:
        rules, outage, seed = parse_config(config or {})
        with self._lock:
            self.rules = rules
            self.outage = outage
            self.config = dict(config or {})
            self._random = random.Random(seed)

    def clear(self) -> None:
        self.configure({})

    def current_outage(self) -> Outage | None:
        outage = self.outage
        if outage is not None and not outage.active():
            with self._lock:
                if self.outage is outage:
                    self.outage = None
            return None
        return outage

    def decide(self, call: CallInfo) -> Decision:
        decision = Decision()
        if not self.rules:
            return decision
        with self._lock:
            for rule in self.rules:
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if not rule.matches(call):
                    continue
                if rule.kind in ("error", "timeout", "rate_limit") and decision.terminal:
                    continue
                if rule.kind == "slow_commit" and decision.slow_commit:
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                if rule.kind == "latency":
                    jitter = self._random.uniform(0, rule.jitter_ms) if rule.jitter_ms else 0.0
                    decision.latency_s += (rule.latency_ms + jitter) / 1000.0
                elif rule.kind == "slow_commit":
                    decision.slow_commit = rule
                else:
                    decision.terminal = rule
        return decision

    def describe(self) -> dict:
        with self._lock:
            outage = self.outage
            return {
                "config": self.config,
                "rules": [rule.describe() for rule in self.rules],
                "outage": None
                if outage is None
                else {
                    "mode": outage.mode,
                    "remaining_s": None
                    if outage.until is None
                    else max(0.0, round(outage.until - time.monotonic(), 3)),
                },
            }
