"""Reads for the ledger pages, the API and other apps. Every list is scoped to the user's
projects (transactions without a project — system-wide syncs — are visible to every role the
view admits)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.accounts.selectors import scope_to_user_projects
from apps.ledger.choices import (
    ATTENTION_STATUSES,
    OPEN_STATUSES,
    STATUS_COLOURS,
    STATUS_HEX,
    TransactionStatus,
)
from apps.ledger.models import RefusedRequest, Transaction, TransactionEvent, TransactionReference

MASK = "••••••••"
SECRET_KEY_PATTERN = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|apikey|authori[sz]ation|credential|private[_-]?key"
    r"|signature|cookie|session)",
    re.IGNORECASE,
)
LINEAGE_MAX_NODES = 300


@dataclass
class TransactionFilters:
    """The ledger's filters, shared by the page, the CSV export and the API."""

    system: str = ""
    domain: str = ""
    direction: str = ""
    status: list[str] = field(default_factory=list)
    project: str = ""
    received_from: date | datetime | None = None
    received_to: date | datetime | None = None
    correlation_id: str = ""
    q: str = ""


def _day_start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)


def transaction_list(*, user, filters: TransactionFilters | None = None) -> QuerySet[Transaction]:
    """Transactions the user may see, filtered; order it yourself (keyset pages use -id)."""
    f = filters or TransactionFilters()
    queryset = scope_to_user_projects(Transaction.objects.all(), user=user, field="project")
    if f.system:
        queryset = queryset.filter(system__code=f.system)
    if f.domain:
        queryset = queryset.filter(domain=f.domain)
    if f.direction:
        queryset = queryset.filter(direction=f.direction)
    if f.status:
        queryset = queryset.filter(status__in=f.status)
    if f.project:
        if str(f.project).isdigit():
            queryset = queryset.filter(project_id=int(f.project))
        else:
            queryset = queryset.filter(project__code=f.project)
    if f.received_from:
        queryset = queryset.filter(received_at__gte=_day_start(f.received_from))
    if f.received_to:
        end = f.received_to
        if not isinstance(end, datetime):
            end = _day_start(end) + timedelta(days=1)  # the whole "to" day
        queryset = queryset.filter(received_at__lt=end)
    if f.correlation_id:
        queryset = queryset.filter(correlation_id=f.correlation_id.strip())
    if f.q:
        queryset = queryset.filter(_search_condition(f.q.strip()))
    return queryset


def _search_condition(term: str) -> Q:
    """Exact matches on indexed columns: id, idempotency key, external id, business references,
    correlation id (a LIKE scan would not survive a 10M-row ledger)."""
    condition = (
        Q(idempotency_key=term)
        | Q(external_id=term)
        | Q(reference=term)
        | Q(correlation_id=term)
        | Q(id__in=TransactionReference.objects.filter(value=term).values("transaction_id"))
    )
    digits = term.lstrip("#")
    if digits.isdigit() and len(digits) < 19:
        condition |= Q(id=int(digits))
    return condition


def transaction_status_counts(
    *, queryset: QuerySet[Transaction], settled_since: datetime | None = None
) -> list[dict]:
    """[{status, label, colour, count, window}] in life-cycle order, zeros included.

    Statuses with work ahead or needing a person are counted over the whole queryset (their
    partial indexes keep that cheap at any ledger size). The settled ones (delivered, duplicate,
    ignored) are most of a big ledger: with `settled_since` they are counted from then on only,
    and their entry says so in `window`.
    """
    busy = list(OPEN_STATUSES) + list(ATTENTION_STATUSES)
    counts = dict(
        queryset.filter(status__in=busy)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    settled = queryset.exclude(status__in=busy)
    if settled_since is not None:
        settled = settled.filter(received_at__gte=settled_since)
    counts.update(
        settled.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return [
        {
            "status": status.value,
            "label": status.label,
            "colour": STATUS_COLOURS[status.value],
            "count": counts.get(status.value, 0),
            "window": "" if status in busy or settled_since is None else "recent",
        }
        for status in TransactionStatus
    ]


def transaction_get(*, user, transaction_id: int) -> Transaction | None:
    """One transaction if the user may see it (None otherwise: the caller answers 404)."""
    return (
        transaction_list(user=user)
        .select_related("system", "project", "parent")
        .filter(id=transaction_id)
        .first()
    )


def transaction_events(*, transaction: Transaction) -> QuerySet[TransactionEvent]:
    return (
        TransactionEvent.objects.filter(transaction_id=transaction.id)
        .select_related("actor")
        .order_by("id")
    )


def transaction_children(*, user, transaction: Transaction) -> QuerySet[Transaction]:
    return (
        transaction_list(user=user)
        .filter(parent_id=transaction.id)
        .select_related("system")
        .order_by("id")
    )


# --- display --------------------------------------------------------------------------------


def payload_masked(value: Any) -> Any:
    """A copy of a payload with secret-looking values masked (passwords, tokens, keys...)."""
    if isinstance(value, dict):
        return {
            k: (
                MASK
                if SECRET_KEY_PATTERN.search(str(k)) and v not in (None, "")
                else payload_masked(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [payload_masked(v) for v in value]
    return value


def payload_pretty(value: Any) -> str:
    return json.dumps(
        payload_masked(value), indent=2, sort_keys=False, ensure_ascii=False, default=str
    )


def raw_body_pretty(raw: str, *, limit: int = 200_000) -> str:
    """The raw body for display: pretty JSON with secrets masked when it parses, else the text
    with `"secret-ish": "value"` pairs masked."""
    if not raw:
        return ""
    try:
        return payload_pretty(json.loads(raw))[:limit]
    except ValueError:
        masked = re.sub(
            r'("(?:[^"]*(?:password|secret|token|api_?key|authorization)[^"]*)"\s*:\s*)"[^"]*"',
            r'\1"' + MASK + '"',
            raw[:limit],
            flags=re.IGNORECASE,
        )
        return masked


# --- lineage --------------------------------------------------------------------------------


def _node(tx: Transaction, relation: str) -> dict:
    return {
        "id": tx.id,
        "label": f"#{tx.id} {tx.system.code} {tx.domain}.{tx.operation}",
        "direction": tx.direction,
        "system": tx.system.code,
        "domain": tx.domain,
        "operation": tx.operation,
        "status": tx.status,
        "status_label": TransactionStatus(tx.status).label,
        "colour": STATUS_HEX[STATUS_COLOURS.get(tx.status, "grey")],
        "badge": STATUS_COLOURS.get(tx.status, "grey"),
        "trigger": tx.trigger,
        "parent_id": tx.parent_id,
        "subject": f"{tx.subject_domain}:{tx.subject_id}" if tx.subject_id else "",
        "received_at": tx.received_at.isoformat(),
        "relation": relation,
        "url": reverse("ledger:detail", args=[tx.id]),
        "level": 0,
    }


def transaction_lineage(*, transaction: Transaction, user) -> dict:
    """The lineage graph of a transaction: ancestors up to the root, descendants, and the other
    transactions of the same correlation id and the same subject. Nodes the user may not see
    (another project) are left out with their edges. Bounded to LINEAGE_MAX_NODES."""
    visible = transaction_list(user=user).select_related("system")
    found: dict[int, tuple[Transaction, str]] = {transaction.id: (transaction, "self")}
    # ancestors (bounded walk up the parent links)
    current = transaction
    for _ in range(50):
        if current.parent_id is None or current.parent_id in found:
            break
        parent = visible.filter(id=current.parent_id).first()
        if parent is None:
            break
        found[parent.id] = (parent, "ancestor")
        current = parent
    # descendants, level by level
    frontier = [transaction.id]
    for _ in range(20):
        if not frontier or len(found) >= LINEAGE_MAX_NODES:
            break
        children = list(visible.filter(parent_id__in=frontier).order_by("id")[:LINEAGE_MAX_NODES])
        frontier = []
        for child in children:
            if child.id not in found:
                found[child.id] = (child, "descendant")
                frontier.append(child.id)
    # the same business flow and the same subject
    room = max(LINEAGE_MAX_NODES - len(found), 0)
    if room and transaction.correlation_id:
        for tx in visible.filter(correlation_id=transaction.correlation_id).order_by("id")[:room]:
            found.setdefault(tx.id, (tx, "correlation"))
    room = max(LINEAGE_MAX_NODES - len(found), 0)
    if room and transaction.subject_id:
        same_subject = visible.filter(
            subject_domain=transaction.subject_domain, subject_id=transaction.subject_id
        ).order_by("-id")[: min(room, 50)]
        for tx in same_subject:
            found.setdefault(tx.id, (tx, "subject"))

    nodes = {tx_id: _node(tx, relation) for tx_id, (tx, relation) in found.items()}
    edges = [
        {"source": node["parent_id"], "target": node["id"], "kind": "parent"}
        for node in nodes.values()
        if node["parent_id"] in nodes
    ]
    # Left-to-right levels: a node sits one column right of its parent.
    for node in sorted(nodes.values(), key=lambda n: n["id"]):
        parent = nodes.get(node["parent_id"])
        node["level"] = parent["level"] + 1 if parent is not None else 0
    ordered = sorted(nodes.values(), key=lambda n: (n["level"], n["id"]))
    return {
        "root_id": transaction.lineage_root_id,
        "focus_id": transaction.id,
        "nodes": ordered,
        "edges": edges,
    }


# --- refused requests -----------------------------------------------------------------------


def refused_request_list(*, system_code: str = "", reason: str = "") -> QuerySet[RefusedRequest]:
    queryset = RefusedRequest.objects.all()
    if system_code:
        queryset = queryset.filter(system_code=system_code)
    if reason:
        queryset = queryset.filter(reason=reason)
    return queryset
