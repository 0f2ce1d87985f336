"""Billing's side of approvals: what the final decision on a pay application does.
Registered by BillingConfig.ready()."""

from __future__ import annotations

from apps.approvals.choices import DocumentType
from apps.approvals.outcomes import outcome_handler
from apps.billing.services import pay_application_decided


@outcome_handler(DocumentType.PAY_APPLICATION)
def _pay_application(*, request, approved, actor):
    pay_application_decided(request=request, approved=approved, actor=actor)
