"""Procurement's side of approvals: what each final decision does, and the extra SoD rules.
Registered by ProcurementConfig.ready()."""

from __future__ import annotations

from apps.approvals.choices import DocumentType
from apps.approvals.outcomes import outcome_handler
from apps.procurement.services import (
    change_order_decided,
    commitment_decided,
    invoice_posting_decided,
    invoice_variance_decided,
    requisition_decided,
)


@outcome_handler(DocumentType.REQUISITION)
def _requisition(*, request, approved, actor):
    requisition_decided(request=request, approved=approved, actor=actor)


@outcome_handler(DocumentType.CONTROL_OVERRIDE)
def _control_override(*, request, approved, actor):
    # Overrides are asked for on blocked requisitions; the override decides the requisition.
    requisition_decided(request=request, approved=approved, actor=actor)


@outcome_handler(DocumentType.PURCHASE_ORDER)
def _purchase_order(*, request, approved, actor):
    commitment_decided(request=request, approved=approved, actor=actor)


@outcome_handler(DocumentType.SUBCONTRACT)
def _subcontract(*, request, approved, actor):
    commitment_decided(request=request, approved=approved, actor=actor)


@outcome_handler(DocumentType.CHANGE_ORDER)
def _change_order(*, request, approved, actor):
    change_order_decided(request=request, approved=approved, actor=actor)


@outcome_handler(DocumentType.INVOICE_VARIANCE)
def _invoice_variance(*, request, approved, actor):
    invoice_variance_decided(request=request, approved=approved, actor=actor)


@outcome_handler(DocumentType.POSTING)
def _posting(*, request, approved, actor):
    invoice_posting_decided(request=request, approved=approved, actor=actor)
