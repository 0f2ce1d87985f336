import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings(tmp_path):
    """A warning here means an endpoint is missing from, or wrong in, the published schema."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), "--fail-on-warn", "--validate")
    text = target.read_text()
    assert "/api/v1/inbound/{system_code}/events" in text
    assert "/api/v1/bank-statements/" in text
