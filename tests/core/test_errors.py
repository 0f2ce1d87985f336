import pytest

from apps.core.api import exception_handler
from apps.core.errors import ApplicationError


def test_application_error_maps_to_the_one_error_shape():
    response = exception_handler(
        ApplicationError("Cost code 99 is unknown.", code="unknown_cost_code", details={"x": 1}),
        {},
    )
    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "unknown_cost_code",
            "message": "Cost code 99 is unknown.",
            "details": {"x": 1},
        }
    }


def test_validation_error_says_which_field():
    from rest_framework.exceptions import ValidationError

    response = exception_handler(ValidationError({"amount": ["This field is required."]}), {})
    assert response.status_code == 400
    assert response.data["error"]["code"] == "validation_error"
    assert "amount" in response.data["error"]["message"]
    assert response.data["error"]["details"] == {"amount": ["This field is required."]}


def test_unexpected_error_becomes_logged_500(caplog):
    response = exception_handler(RuntimeError("boom"), {})
    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "Unhandled API error" in caplog.text


@pytest.mark.django_db
def test_security_headers_present(client):
    response = client.get("/healthz")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_log_filter_redacts_secrets():
    from apps.core.logging import redact

    line = redact("Authorization: Bearer ihub_abcdefghijkl password=hunter2 whsec_xyz123")
    assert "ihub_abcdefghijkl" not in line and "hunter2" not in line and "whsec_xyz123" not in line
