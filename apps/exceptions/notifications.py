"""Alerts about exception items: new item, assigned to you, SLA about to breach, SLA breached
(escalated to the group lead). Channels: email (Django's email backend) and one generic webhook
(`{"text": ...}`, which Slack and Teams incoming webhooks both accept).

Throttled and digested: alerts are written to an outbox (ExceptionNotification) in the same
database transaction as the change. The first alert for a throttle key (e.g. "new delivery
failures from odoo") within EXCEPTIONS_ALERT_THROTTLE_MINUTES is sent; later ones are held and
go out together in the hourly digest. One outage → one alert + one digest, not thousands.

Settings (all optional):
    EXCEPTIONS_WEBHOOK_URL              webhook for every alert ("" = email only)
    EXCEPTIONS_ALERT_THROTTLE_MINUTES   default 60
    EXCEPTIONS_SLA_WARNING_HOURS        warn this long before the SLA is due (default 2)
    EXCEPTIONS_GROUP_LEADS              {"finance": ["lead@example.com"], ...}; otherwise the
                                        group's staff members, otherwise superusers
"""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction as db_transaction
from django.urls import reverse
from django.utils import timezone

from apps.exceptions.models import ExceptionItem, ExceptionNotification, NotificationStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
S = NotificationStatus


def _throttle_window() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "EXCEPTIONS_ALERT_THROTTLE_MINUTES", 60)))


def _item_url(item: ExceptionItem) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{reverse('exceptions:detail', args=[item.pk])}"


def _emails_of_group(group: str) -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=group).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def group_lead_emails(group: str) -> list[str]:
    """Who an SLA breach escalates to for a group."""
    configured = getattr(settings, "EXCEPTIONS_GROUP_LEADS", {}).get(group)
    if configured:
        return sorted(set(configured))
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    leads = users.filter(groups__name=group, is_staff=True)
    if not leads.exists():
        leads = users.filter(is_superuser=True)
    return sorted(set(leads.values_list("email", flat=True)))


def notification_queue(
    *,
    kind: str,
    item: ExceptionItem | None,
    throttle_key: str,
    recipients: list[str],
    subject: str,
    body: str,
    now=None,
) -> ExceptionNotification:
    """Put an alert in the outbox: to send now, or held for the digest when throttled."""
    now = now or timezone.now()
    throttled = ExceptionNotification.objects.filter(
        throttle_key=throttle_key,
        created_at__gte=now - _throttle_window(),
        status__in=[S.PENDING, S.SENT, S.FAILED],
    ).exists()
    return ExceptionNotification.objects.create(
        kind=kind,
        item=item,
        throttle_key=throttle_key[:200],
        recipients=sorted(set(recipients)),
        subject=subject[:300],
        body=body,
        status=S.DIGEST if throttled else S.PENDING,
        created_at=now,
    )


def exception_notify_opened(*, item: ExceptionItem) -> ExceptionNotification:
    """A new item landed in a group's queue (throttled per category and system)."""
    system = item.system.code if item.system_id else "hub"
    return notification_queue(
        kind="opened",
        item=item,
        throttle_key=f"opened:{item.category}:{system}",
        recipients=_emails_of_group(item.owner_group),
        subject=f"[integrationhub] New {item.get_category_display().lower()}: {item.title}",
        body=f"{item.reason}\n\nOpen it: {_item_url(item)}",
    )


def exception_notify_assigned(*, item: ExceptionItem, assignee, actor) -> ExceptionNotification:
    """Tell a person an item is now theirs (throttled per person: a bulk assign is one alert)."""
    who = actor.get_username() if getattr(actor, "is_authenticated", False) else "the hub"
    return notification_queue(
        kind="assigned",
        item=item,
        throttle_key=f"assigned:{assignee.pk}",
        recipients=[assignee.email] if assignee.email else [],
        subject=f"[integrationhub] Assigned to you: #{item.pk} {item.title}",
        body=f"{who} assigned you exception #{item.pk}.\n\n{item.reason}\n\n{_item_url(item)}",
    )


def exceptions_sla_sweep(*, now=None) -> dict:
    """Warn about items whose SLA is close, escalate breached ones to the group lead (each once)."""
    from apps.audit.services import audit_record
    from apps.exceptions.choices import ACTIVE_STATUSES
    from apps.exceptions.models import ExceptionComment

    now = now or timezone.now()
    warning = timedelta(hours=float(getattr(settings, "EXCEPTIONS_SLA_WARNING_HOURS", 2)))
    active = ExceptionItem.objects.filter(
        status__in=[s.value for s in ACTIVE_STATUSES], sla_due_at__isnull=False
    ).select_related("assignee", "system")
    warned = escalated = 0
    for item in active.filter(
        sla_warned_at__isnull=True, sla_due_at__gte=now, sla_due_at__lt=now + warning
    )[:1000]:
        with db_transaction.atomic():
            if not ExceptionItem.objects.filter(pk=item.pk, sla_warned_at__isnull=True).update(
                sla_warned_at=now
            ):
                continue  # another sweeper took it
            recipients = (
                [item.assignee.email]
                if item.assignee_id and item.assignee.email
                else _emails_of_group(item.owner_group)
            )
            notification_queue(
                kind="sla_soon",
                item=item,
                throttle_key=f"sla_soon:{item.owner_group}",
                recipients=recipients,
                subject=f"[integrationhub] SLA due soon: #{item.pk} {item.title}",
                body=f"Due {item.sla_due_at:%Y-%m-%d %H:%M} UTC.\n\n{_item_url(item)}",
                now=now,
            )
            warned += 1
    for item in active.filter(escalated_at__isnull=True, sla_due_at__lt=now)[:1000]:
        with db_transaction.atomic():
            if not ExceptionItem.objects.filter(pk=item.pk, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                continue
            leads = group_lead_emails(item.owner_group)
            notification_queue(
                kind="sla_breached",
                item=item,
                throttle_key=f"sla_breached:{item.owner_group}",
                recipients=leads + ([item.assignee.email] if item.assignee_id else []),
                subject=f"[integrationhub] SLA breached, escalated: #{item.pk} {item.title}",
                body=(
                    f"Exception #{item.pk} ({item.get_category_display()}) was due "
                    f"{item.sla_due_at:%Y-%m-%d %H:%M} UTC and is still "
                    f"{item.get_status_display().lower()}; assignee "
                    f"{item.assignee.get_username() if item.assignee_id else 'nobody'}.\n\n"
                    f"{_item_url(item)}"
                ),
                now=now,
            )
            ExceptionComment.objects.create(
                item=item,
                body=(
                    f"SLA breached: escalated to the {item.owner_group} lead "
                    f"({', '.join(leads) or 'no lead configured'})."
                ),
                is_system=True,
            )
            audit_record(
                actor=None,
                action="exception.escalate",
                target=item,
                detail={"leads": leads, "sla_due_at": item.sla_due_at.isoformat()},
            )
            escalated += 1
    return {"warned": warned, "escalated": escalated}


def _deliver(*, subject: str, body: str, recipients: list[str]) -> None:
    """Send one message on every configured channel; raises when a channel fails."""
    if recipients:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
    webhook = getattr(settings, "EXCEPTIONS_WEBHOOK_URL", "")
    if webhook:
        response = httpx.post(webhook, json={"text": f"*{subject}*\n{body}"}, timeout=5.0)
        response.raise_for_status()


def notifications_send(*, now=None, limit: int = 200) -> int:
    """Send the outbox's pending alerts (and retry failed ones); returns how many went out."""
    now = now or timezone.now()
    sent = 0
    rows = ExceptionNotification.objects.filter(
        status__in=[S.PENDING, S.FAILED], attempts__lt=MAX_ATTEMPTS
    ).order_by("id")[:limit]
    for row in rows:
        try:
            _deliver(subject=row.subject, body=row.body, recipients=row.recipients)
        except Exception as exc:  # noqa: BLE001 - any channel failure: keep the row, retry later
            logger.warning("exception alert %s not sent: %s", row.pk, exc)
            ExceptionNotification.objects.filter(pk=row.pk).update(
                status=S.FAILED, attempts=row.attempts + 1, last_error=str(exc)[:2000]
            )
            continue
        ExceptionNotification.objects.filter(pk=row.pk).update(
            status=S.SENT, attempts=row.attempts + 1, sent_at=now, last_error=""
        )
        sent += 1
    return sent


def notifications_digest_send(*, now=None) -> int:
    """Send the held alerts as one digest per set of recipients; returns how many were digested."""
    now = now or timezone.now()
    held = list(
        ExceptionNotification.objects.filter(status=S.DIGEST, created_at__lte=now).order_by("id")[
            :5000
        ]
    )
    if not held:
        return 0
    groups: dict[tuple[str, ...], list[ExceptionNotification]] = {}
    for row in held:
        groups.setdefault(tuple(row.recipients), []).append(row)
    digested = 0
    for recipients, rows in groups.items():
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.throttle_key] = counts.get(row.throttle_key, 0) + 1
        lines = [f"{n} × {key}" for key, n in sorted(counts.items())]
        lines += [""] + [f"- {row.subject}" for row in rows[:50]]
        if len(rows) > 50:
            lines.append(f"… and {len(rows) - 50} more")
        subject = f"[integrationhub] Digest: {len(rows)} held alert(s)"
        try:
            _deliver(subject=subject, body="\n".join(lines), recipients=list(recipients))
        except Exception as exc:  # noqa: BLE001 - stays held; the next digest run retries
            logger.warning("exception digest not sent: %s", exc)
            continue
        ExceptionNotification.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=S.DIGESTED, sent_at=now
        )
        digested += len(rows)
    return digested
