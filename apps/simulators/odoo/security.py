"""Access rights like Odoo's ir.model.access: per model, which groups may read, write, create and
unlink. Users get rights through their groups (res.users.group_ids -> res.groups.xml_id)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exceptions import AccessError

if TYPE_CHECKING:
    from .orm import Env

# group xml id -> full name shown in AccessError messages
GROUPS = {
    "base.group_user": "Role / User",
    "base.group_system": "Administration / Settings",
    "purchase.group_purchase_user": "Purchase / User",
    "purchase.group_purchase_manager": "Purchase / Administrator",
    "stock.group_stock_user": "Inventory / User",
    "account.group_account_invoice": "Invoicing / Billing",
    "account.group_account_manager": "Invoicing / Billing Administrator",
    "project.group_project_manager": "Project / Administrator",
    "analytic.group_analytic_accounting": "Technical / Analytic Accounting",
    "sales_team.group_sale_salesman": "Sales / User: Own Documents Only",
}

READ = "read"
WRITE = "write"
CREATE = "create"
UNLINK = "unlink"
ALL = frozenset({READ, WRITE, CREATE, UNLINK})

# ACL families: every internal user reads; the listed groups have full rights
ACL_FAMILIES: dict[str, tuple[str, ...]] = {
    "base": ("base.group_system",),
    "partner": (
        "base.group_system",
        "purchase.group_purchase_user",
        "account.group_account_invoice",
    ),
    "product": ("base.group_system", "purchase.group_purchase_manager"),
    "purchase": ("purchase.group_purchase_user",),
    "sale": ("sales_team.group_sale_salesman",),
    "stock": ("stock.group_stock_user",),
    "account": ("account.group_account_invoice",),
    "account_config": ("account.group_account_manager",),
    "analytic": ("account.group_account_manager", "analytic.group_analytic_accounting"),
    "project": ("project.group_project_manager",),
    "budget": ("account.group_account_manager",),
    "data": ("base.group_system",),
}

OPERATION_WORDS = {READ: "access", WRITE: "modify", CREATE: "create", UNLINK: "delete"}


def user_groups(env: Env) -> set[str]:
    user = env.user
    groups = env.store.tables["res.groups"]
    return {groups[g].get("__xml_id") for g in user.get("group_ids") or [] if g in groups}


def allowed_groups(model_acl: str, operation: str) -> tuple[str, ...]:
    if operation == READ:
        return ("base.group_user",)
    return ACL_FAMILIES.get(model_acl, ACL_FAMILIES["base"])


def has_access(env: Env, model: str, operation: str) -> bool:
    mdef = env.registry[model]
    groups = user_groups(env)
    if "base.group_system" in groups and mdef.acl in ("base", "data"):
        return True
    return bool(groups.intersection(allowed_groups(mdef.acl, operation)))


def check_model_access(env: Env, model: str, operation: str) -> None:
    if not has_access(env, model, operation):
        raise access_error(env, model, operation)


def access_error(env: Env, model: str, operation: str) -> AccessError:
    mdef = env.registry[model]
    names = "\n".join(f"\t- {GROUPS.get(g, g)}" for g in allowed_groups(mdef.acl, operation))
    return AccessError(
        f"You are not allowed to {OPERATION_WORDS[operation]} '{mdef.description}' ({model}) "
        "records.\n\n"
        f"This operation is allowed for the following groups:\n{names}\n\n"
        "Contact your administrator to request access if necessary."
    )
