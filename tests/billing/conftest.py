import uuid
from datetime import datetime
from decimal import Decimal

import pytest

from apps.approvals.choices import DocumentType
from apps.approvals.models import AuthorityRule


@pytest.fixture
def billing_authority(db, school, alice):
    """alice approves pay applications on the school project (any amount)."""
    return AuthorityRule.objects.create(
        user=alice, project=school, document_type=DocumentType.PAY_APPLICATION, currency="EUR"
    )


@pytest.fixture
def schedule_update(db, school):
    """make(percents: {task_code: percent}) → a schedule update of the school project."""
    from django.utils import timezone

    from apps.schedule.models import Activity, ScheduleVersion

    def make(percents: dict[str, str], data_date: datetime | None = None) -> ScheduleVersion:
        version = ScheduleVersion.objects.create(
            project=school,
            kind="update",
            source_format="xer",
            file_name="update.xer",
            file_sha256=uuid.uuid4().hex * 2,
            data_date=data_date or timezone.now(),
        )
        for code, percent in percents.items():
            Activity.objects.create(
                version=version,
                task_code=code,
                name=code,
                activity_type="task",
                status="in_progress",
                percent_complete=Decimal(percent),
            )
        return version

    return make


@pytest.fixture
def owner_contract(school_budget, fiona):
    from apps.billing.services import owner_contract_create

    return owner_contract_create(
        project=school_budget.project,
        actor=fiona,
        number="OC-SCH-001",
        title="Riverside Primary School main contract",
        customer_name="Riverside Education Authority",
        customer_ref="C-REA",
        retention_pct="10",
        lines=[
            {
                "cost_code": "03 31 13",
                "description": "Structural concrete",
                "scheduled_value": "600000",
                "activity_code": "A1000",
                "quantity": "1200",
                "unit": "m3",
            },
            {
                "cost_code": "31 23 00",
                "description": "Excavation and fill",
                "scheduled_value": "400000",
                "activity_code": "A2000",
            },
        ],
    )
