"""The model registry: every simulated model with Odoo's magic fields and _inherits applied."""

from __future__ import annotations

from dataclasses import replace

from . import models_account, models_base, models_project, models_purchase, models_sale, orm
from .fields import ModelDef, char, datetime_, many2one

MAGIC_FIELDS = ("create_uid", "create_date", "write_uid", "write_date", "display_name")


def _display_name_compute(model: str):
    return lambda env, rec: orm.display_name(env, model, rec["id"]) or ""


def build_registry() -> dict[str, ModelDef]:
    registry: dict[str, ModelDef] = {}
    for module in (models_base, models_purchase, models_account, models_project, models_sale):
        module.define(registry)
    for name, mdef in registry.items():
        magic = {
            "display_name": char("Display Name", compute=_display_name_compute(name), store=False),
            "create_uid": many2one("res.users", "Created by", readonly=True),
            "create_date": datetime_("Created on", readonly=True),
            "write_uid": many2one("res.users", "Last Updated by", readonly=True),
            "write_date": datetime_("Last Updated on", readonly=True),
        }
        for fname, fdef in magic.items():
            fdef.name = fname
            mdef.fields[fname] = fdef
    for mdef in registry.values():
        if mdef.inherits is None:
            continue
        parent_name, _link = mdef.inherits
        parent = registry[parent_name]
        for fname, fdef in parent.fields.items():
            if fname in mdef.fields or fname in MAGIC_FIELDS:
                continue
            mdef.fields[fname] = replace(fdef, inherited_from=parent_name)
    return registry
