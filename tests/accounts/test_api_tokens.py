import hashlib

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create, api_token_revoke


def test_api_refuses_anonymous_with_401_in_error_shape(db):
    response = APIClient().get("/api/v1/accounts/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_api_accepts_valid_token(fiona):
    _, raw = api_token_create(user=fiona, name="bi")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/accounts/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "fiona"
    assert response.json()["roles"] == ["finance"]


def test_token_is_stored_hashed_never_in_clear(fiona):
    token, raw = api_token_create(user=fiona, name="bi")
    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(id=token.id).values().first().values()]
    assert raw not in stored
    assert raw.startswith(token.prefix)


def test_revoked_and_wrong_tokens_get_401(fiona):
    token, raw = api_token_create(user=fiona, name="bi")
    api_token_revoke(user=fiona, token_id=token.id)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/accounts/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    client.credentials(HTTP_AUTHORIZATION="Bearer ihub_not-a-real-token")
    assert client.get("/api/v1/accounts/me/").status_code == 401


def test_token_ui_creates_shows_once_and_revokes(client_for, fiona):
    client = client_for(fiona)
    response = client.post("/accounts/tokens/", {"name": "Power BI"})
    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("ihub_") and raw in response.content.decode()
    again = client.get("/accounts/tokens/").content.decode()
    assert raw not in again and "Power BI" in again
    token = ApiToken.objects.get(user=fiona)
    client.post(f"/accounts/tokens/{token.id}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_user_cannot_revoke_someone_elses_token(client_for, fiona, pat):
    token, _ = api_token_create(user=pat, name="pat's")
    client_for(fiona).post(f"/accounts/tokens/{token.id}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_unknown_api_path_gets_error_shape(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_schema_and_docs_need_authentication(client, client_for, fiona):
    assert APIClient().get("/api/schema/").status_code == 401
    response = client_for(fiona).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/accounts/me/" in response.content
    docs = client_for(fiona).get("/api/docs/")
    assert docs.status_code == 200
    assert b"<script" in docs.content
