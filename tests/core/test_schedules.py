import pytest
from django_q.models import Schedule

from apps.core.schedules import ScheduleSpec
from apps.core.schedules_apply import schedules_apply


@pytest.mark.django_db
def test_schedules_apply_is_idempotent():
    first = schedules_apply()
    assert "ihub:worker-heartbeat" in first["created"]
    second = schedules_apply()
    assert second["created"] == [] and second["updated"] == []
    assert Schedule.objects.filter(name="ihub:worker-heartbeat").count() == 1


@pytest.mark.django_db
def test_schedules_apply_updates_changed_and_deletes_removed():
    schedules_apply(specs=[ScheduleSpec("a", "apps.core.tasks.worker_heartbeat", minutes=5)])
    Schedule.objects.create(name="someone-elses", func="x.y")
    result = schedules_apply(
        specs=[ScheduleSpec("a", "apps.core.tasks.worker_heartbeat", cron="*/10 * * * *")]
    )
    assert result["updated"] == ["ihub:a"]
    assert Schedule.objects.get(name="ihub:a").cron == "*/10 * * * *"
    result = schedules_apply(specs=[])
    assert result["deleted"] == ["ihub:a"]
    # Schedules not ours are left alone.
    assert Schedule.objects.filter(name="someone-elses").exists()
