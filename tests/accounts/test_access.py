"""Each role sees its navigation, lands on its page, and is refused the others' pages."""

import pytest

from apps.projects.models import Project

ROLE_PAGES = {
    "fiona": "/exceptions/",
    "pat": "/reports/",
    "ada": "/monitoring/",
    "alice": "/approvals/",
}
ADMIN_ONLY = ["/monitoring/", "/systems/", "/audit/"]


@pytest.mark.parametrize(("persona", "landing"), list(ROLE_PAGES.items()))
def test_home_sends_each_role_to_its_page(request, client_for, persona, landing):
    user = request.getfixturevalue(persona)
    response = client_for(user).get("/")
    assert response.status_code == 302
    assert response["Location"] == landing


def test_login_page_then_landing(client, fiona):
    from tests.conftest import PASSWORD

    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    response = client.post("/accounts/login/", {"username": "fiona", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == "/exceptions/"


def test_anonymous_is_redirected_to_login(client, db):
    for url in ["/", "/exceptions/", "/reports/", "/monitoring/", "/accounts/tokens/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_navigation_per_role(client_for, fiona, pat, ada):
    fiona_page = client_for(fiona).get("/exceptions/").content.decode()
    assert 'href="/exceptions/"' in fiona_page
    assert 'href="/monitoring/"' not in fiona_page
    pat_page = client_for(pat).get("/reports/").content.decode()
    assert 'href="/reports/"' in pat_page
    assert 'href="/exceptions/"' not in pat_page
    ada_page = client_for(ada).get("/monitoring/").content.decode()
    assert 'href="/monitoring/"' in ada_page and 'href="/audit/"' in ada_page


@pytest.mark.parametrize("url", ADMIN_ONLY)
def test_finance_and_pmo_refused_admin_pages(client_for, fiona, pat, url):
    assert client_for(fiona).get(url).status_code == 403
    assert client_for(pat).get(url).status_code == 403


def test_pmo_refused_exception_queue_and_requester_refused_reports(client_for, pat, rob):
    assert client_for(pat).get("/exceptions/").status_code == 403
    assert client_for(rob).get("/reports/").status_code == 403
    assert client_for(rob).get("/exceptions/").status_code == 403


def test_project_scoping_on_project_list(client_for, pat, ada, school, bridge):
    pat_page = client_for(pat).get("/reports/").content.decode()
    assert "SCH-001" in pat_page
    assert "BRG-003" not in pat_page
    ada_page = client_for(ada).get("/reports/")
    # ada is an admin but not a PMO reader: the reports page is not hers.
    assert ada_page.status_code == 403


def test_project_scoping_in_api(api_client_for, pat, ada, school, bridge):
    assert api_client_for(pat).get("/api/v1/accounts/me/").json()["projects"] == ["SCH-001"]
    body = api_client_for(ada).get("/api/v1/accounts/me/").json()
    assert body["all_projects"] is True
    assert sorted(body["projects"]) == sorted(Project.objects.values_list("code", flat=True))


def test_login_throttled_after_repeated_failures(client, fiona, settings):
    from tests.conftest import PASSWORD

    settings.LOGIN_MAX_FAILURES_PER_USER = 3
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": "fiona", "password": "nope"})
        assert response.status_code == 200
    # Even the right password is refused while throttled.
    response = client.post("/accounts/login/", {"username": "fiona", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_successful_login_clears_failures(client, fiona, settings):
    from apps.accounts.models import LoginFailure
    from tests.conftest import PASSWORD

    settings.LOGIN_MAX_FAILURES_PER_USER = 3
    client.post("/accounts/login/", {"username": "fiona", "password": "nope"})
    client.post("/accounts/login/", {"username": "fiona", "password": PASSWORD})
    assert not LoginFailure.objects.filter(username="fiona").exists()
