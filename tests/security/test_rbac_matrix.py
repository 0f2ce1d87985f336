"""RBAC matrix generated from the URL conf (issue 12): every route × every persona × own/other
project, with the expected status derived from the roles each view declares."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from apps.accounts import roles

from .conftest import OTHER_PROJECT, OWN_PROJECT, PERSONA_ROLES, all_routes

# Routes that legitimately declare no roles, and why.
PUBLIC = {
    "accounts:login": "the login page itself",
    "accounts:logout": "logging out needs no role",
    "core:healthz": "liveness probe",
    "core:readyz": "readiness probe",
    "metrics": "own bearer token or allowed address (apps/monitoring/metrics.py)",
    "ledger-api:inbound-events": "ingest: authenticated by HMAC signature per system",
    "ledger-api:inbound-files": "ingest: authenticated by HMAC signature per system",
    "ledger-api:inbound-batches": "ingest: authenticated by HMAC signature per system",
}
AUTHENTICATED_ONLY = {
    "core:home": "redirects each role to its home page",
    "accounts:tokens": "every user manages their own API tokens",
    "accounts:token-revoke": "revokes the user's own token only",
    "accounts-api:me": "the caller's own identity",
    "api-schema": "the API schema needs only authentication",
    "api-docs": "the API docs need only authentication",
}

# kwarg → (model label, lookup to the project code or None when the object is not per project).
# Namespaced entries win over the plain kwarg name.
OBJECT_KWARGS = {
    "transaction_id": ("ledger.Transaction", "project__code"),
    "item_id": ("exceptions.ExceptionItem", "project__code"),
    "requisition_id": ("procurement.Requisition", "project__code"),
    "commitment_id": ("procurement.Commitment", "project__code"),
    "invoice_id": ("procurement.Invoice", "project__code"),
    "budget_line_id": ("projects.BudgetLine", "project__code"),
    "document_id": ("documents.Document", "project__code"),
    "transmittal_id": ("documents.Transmittal", "project__code"),
    "version_id": ("schedule.ScheduleVersion", "project__code"),
    "delegation_id": ("approvals.Delegation", "project__code"),
    "job_id": ("sync.JobRun", None),
    "request_id": ("sync.ReplayRequest", None),
    "rule_id": ("sync.SystemOfRecordRule", None),
    "policy_id": ("sync.SyncPolicy", None),
    "mapping_id": ("sync.Mapping", None),
    "suggestion_id": ("sync.MappingSuggestion", None),
    "import_id": ("procurement.BudgetImport", None),
    "filter_id": ("exceptions.SavedFilter", None),
    "token_id": ("accounts.ApiToken", None),
    "statement_id": ("banking.BankStatement", None),
    "line_id": ("banking.BankEntry", None),
    "contract_id": ("billing.OwnerContract", "project__code"),
    "pay_application_id": ("billing.PayApplication", "project__code"),
    "entity_id": ("entities.Entity", None),
    "bank_change_id": ("vendors.BankDetailChange", None),
    ("schedule", "job_id"): ("schedule.ImportJob", "project__code"),
    ("approvals", "request_id"): ("approvals.ApprovalRequest", "project__code"),
    ("approvals-api", "request_id"): ("approvals.ApprovalRequest", "project__code"),
    ("exceptions", "request_id"): ("exceptions.OverrideRequest", "item__project__code"),
}
LITERAL_KWARGS = {
    "decision": "approve",
    "action": "submit",
    "secret_id": "no-such-secret",
    "workflow_key": "procure_to_pay",
}
MISSING_ID = 999_999_999

ROUTES = all_routes()
ROLE_ROUTES = [r for r in ROUTES if r.name not in PUBLIC and r.name not in AUTHENTICATED_ONLY]


def _object_spec(route, kwarg):
    namespace = route.name.split(":")[0]
    return OBJECT_KWARGS.get((namespace, kwarg)) or OBJECT_KWARGS.get(kwarg)


def _is_project_scoped(route) -> bool:
    return any(
        kwarg == "project_code" or ((spec := _object_spec(route, kwarg)) and spec[1])
        for kwarg in route.kwargs
    )


def _url(route, project_code: str) -> str:
    values = {}
    for kwarg in route.kwargs:
        if kwarg == "project_code":
            values[kwarg] = project_code
        elif kwarg == "code":
            from apps.connectors.models import System

            values[kwarg] = System.objects.values_list("code", flat=True).first() or "nope"
        elif kwarg in LITERAL_KWARGS:
            values[kwarg] = LITERAL_KWARGS[kwarg]
        else:
            spec = _object_spec(route, kwarg)
            assert spec, (
                f"{route.name}: no object known for kwarg {kwarg!r}; add it to OBJECT_KWARGS"
            )
            model = apps.get_model(spec[0])
            queryset = model.objects.all()
            if spec[1]:
                queryset = queryset.filter(**{spec[1]: project_code})
            values[kwarg] = queryset.values_list("pk", flat=True).first() or MISSING_ID
    return reverse(route.name, kwargs=values)


def _clients(users) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        clients[name] = client
    return clients


def _check_anonymous(route, response) -> str | None:
    if route.is_api:
        if response.status_code != 401:
            return f"anonymous: expected 401, got {response.status_code}"
    elif response.status_code != 302 or reverse("accounts:login") not in response["Location"]:
        return f"anonymous: expected 302 to login, got {response.status_code}"
    return None


def _check_admitted(name, response) -> str | None:
    if response.status_code in (401, 403) or response.status_code >= 500:
        return f"{name} (admitted): got {response.status_code}"
    return None


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_route_declares_its_roles(route):
    assert route.required_roles or route.name in PUBLIC or route.name in AUTHENTICATED_ONLY, (
        f"{route.name} ({route.pattern}) declares no roles: use role_required / HasRole "
        "with required_roles, or add it to the allow-list with a reason"
    )


@pytest.mark.parametrize("route", ROLE_ROUTES, ids=lambda r: r.name)
def test_route_admits_exactly_its_declared_roles_on_own_project(route, seeded_world, db):
    declared = set(route.required_roles or ())
    url = _url(route, OWN_PROJECT)
    problems = []
    for name, client in _clients(seeded_world).items():
        response = client.get(url)
        admitted = name != "anonymous" and PERSONA_ROLES[name] in declared
        if response.status_code == 405 and not admitted:
            # A POST-only view: the refusal must hold for the method it accepts (rolled back).
            response = client.post(url, {})
        if name == "anonymous":
            problem = _check_anonymous(route, response)
        elif admitted:
            problem = _check_admitted(name, response)
        elif response.status_code != 403:
            problem = f"{name} (not admitted): expected 403, got {response.status_code}"
        else:
            problem = None
        if problem:
            problems.append(problem)
    assert not problems, f"{route.name} GET {url}: " + "; ".join(problems)


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.name in AUTHENTICATED_ONLY], ids=lambda r: r.name
)
def test_authenticated_only_route_refuses_anonymous_and_serves_every_persona(
    route, seeded_world, db
):
    url = _url(route, OWN_PROJECT)
    problems = []
    for name, client in _clients(seeded_world).items():
        response = client.get(url)
        problem = (
            _check_anonymous(route, response)
            if name == "anonymous"
            else _check_admitted(name, response)
        )
        if problem:
            problems.append(problem)
    assert not problems, f"{route.name} GET {url}: " + "; ".join(problems)


@pytest.mark.parametrize(
    "route", [r for r in ROLE_ROUTES if _is_project_scoped(r)], ids=lambda r: r.name
)
def test_object_of_another_project_is_not_reachable_by_id(route, seeded_world, db):
    declared = set(route.required_roles or ())
    url = _url(route, OTHER_PROJECT)
    problems = []
    for name, client in _clients(seeded_world).items():
        role = PERSONA_ROLES.get(name)
        if role is None or role not in declared:
            continue  # refusals by role are covered by the own-project matrix
        response = client.get(url)
        if role == roles.INTEGRATION_ADMIN:
            problem = _check_admitted(name, response)  # admins see every project
        elif response.status_code not in (403, 404, 405):
            problem = f"{name} (not a member): expected 404/403, got {response.status_code}"
        else:
            problem = None
        if problem:
            problems.append(problem)
    assert not problems, f"{route.name} GET {url}: " + "; ".join(problems)


def test_django_admin_refuses_non_staff_personas(seeded_world, db):
    for name, client in _clients(seeded_world).items():
        response = client.get("/django-admin/")
        assert response.status_code == 302 and "login" in response["Location"], name
