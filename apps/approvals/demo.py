"""Demo authority matrix (idempotent): alice approves procurement documents up to 1,000,000 EUR,
fiona is the accounting approver (posting) and approves invoice variances up to 25,000 EUR.
Multi-level thresholds are left to each firm (ApprovalLevelThreshold)."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from apps.accounts import roles
from apps.approvals.choices import DocumentType
from apps.approvals.models import AuthorityRule

ALICE_DOCUMENTS = [
    DocumentType.REQUISITION,
    DocumentType.PURCHASE_ORDER,
    DocumentType.SUBCONTRACT,
    DocumentType.CHANGE_ORDER,
    DocumentType.CONTROL_OVERRIDE,
]


def _rule(**fields) -> None:
    key = {k: fields.pop(k) for k in ("user", "role", "document_type", "level")}
    AuthorityRule.objects.update_or_create(project=None, **key, defaults=fields)


def seed(stdout) -> None:
    User = get_user_model()
    alice = User.objects.filter(username="alice").first()
    fiona = User.objects.filter(username="fiona").first()
    if alice is None or fiona is None:
        stdout.write("  approvals: demo users missing, authority matrix not seeded\n")
        return
    for document_type in ALICE_DOCUMENTS:
        _rule(
            user=alice,
            role="",
            document_type=document_type,
            level=1,
            amount_limit=Decimal("1000000"),
            currency="EUR",
            note="demo: project approver",
        )
    _rule(
        user=None,
        role=roles.FINANCE,
        document_type=DocumentType.POSTING,
        level=1,
        amount_limit=None,
        currency="EUR",
        note="demo: accounting approvers",
    )
    _rule(
        user=fiona,
        role="",
        document_type=DocumentType.INVOICE_VARIANCE,
        level=1,
        amount_limit=Decimal("25000"),
        currency="EUR",
        note="demo: finance reviewer",
    )
    stdout.write(f"  approvals: {AuthorityRule.objects.count()} authority rules\n")
