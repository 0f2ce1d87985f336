"""Each role signs in through the real login page and lands on its own screen."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("persona", "path", "heading"),
    [
        ("fiona", "/exceptions/", "Exception queue"),
        ("pat", "/reports/", "Executive reports"),
        ("ada", "/monitoring/", "Integration health"),
    ],
)
def test_role_lands_on_its_page_after_login(
    request, live_server, login, screenshot, persona, path, heading
):
    request.getfixturevalue(persona)
    page = login(persona)
    assert page.url == f"{live_server.url}{path}"
    assert page.locator("h1").first.inner_text().startswith(heading)
    # The navigation shows this role's entries and the stylesheet and htmx loaded (no CDN).
    assert page.locator("nav.mainnav a").count() >= 1
    assert page.evaluate("typeof window.htmx") == "object"
    screenshot(f"login-{persona}")


def test_wrong_password_stays_on_login_with_message(live_server, page, fiona):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    assert page.locator("[role=alert]").count() == 1
