import io

import pytest

from apps.sync.models import Mapping, SyncPolicy

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent(sync_systems, school, make_system):
    from apps.sync.demo import seed

    make_system("field", "field", "field")
    seed(io.StringIO())
    policies, mappings = SyncPolicy.objects.count(), Mapping.objects.count()
    assert policies >= 3 and mappings >= 3
    assert Mapping.objects.get(system__code="p6", external_value="03-300").canonical_value == (
        "03 30 00"
    )
    seed(io.StringIO())
    assert (SyncPolicy.objects.count(), Mapping.objects.count()) == (policies, mappings)
