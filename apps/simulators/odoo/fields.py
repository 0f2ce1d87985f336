"""Field and model declarations of the simulated ORM (plain Python, no Django ORM).

A model is a ModelDef with Field objects; records are dicts in the Store holding *raw* values:
many2one as an int id or False, many2many as a list of ids, one2many not stored at all (derived
from the inverse many2one through an index), dates and datetimes as Odoo's strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

RELATIONAL = frozenset({"many2one", "one2many", "many2many"})
X2MANY = frozenset({"one2many", "many2many"})


@dataclass
class Field:
    type: str
    string: str
    required: bool = False
    readonly: bool = False
    relation: str | None = None
    inverse_name: str | None = None  # one2many: the many2one on the comodel pointing back
    selection: list[tuple[str, str]] | None = None
    default: Any = None  # a value, or callable(env) -> value
    compute: Callable | None = None  # callable(env, record) -> raw value, evaluated on access
    store: bool = True  # as Odoo reports it in fields_get (computed fields may be stored there)
    help: str = ""
    ondelete: str = "set null"  # many2one: cascade | restrict | set null
    copy: bool = True
    digits: tuple[int, int] | None = None
    name: str = ""  # filled by ModelDef
    inherited_from: str | None = None  # _inherits: the parent model that owns the column

    @property
    def is_relational(self) -> bool:
        return self.type in RELATIONAL

    @property
    def is_x2many(self) -> bool:
        return self.type in X2MANY

    def attributes(self) -> dict[str, Any]:
        """fields_get() description, with the keys Odoo 17+ reports for every field."""
        desc: dict[str, Any] = {
            "type": self.type,
            "string": self.string,
            "help": self.help or False,
            "required": self.required,
            "readonly": self.readonly or (self.compute is not None and self.store is False),
            "store": self.store,
            "searchable": True,
            "sortable": self.store and not self.is_x2many,
            "manual": False,
            "company_dependent": False,
            "depends": [],
            "groupable": self.store and self.type not in X2MANY,
            "exportable": True,
            "name": self.name,
        }
        if self.relation:
            desc["relation"] = self.relation
            desc["context"] = {}
            desc["domain"] = []
        if self.type == "one2many":
            desc["relation_field"] = self.inverse_name
        if self.type == "selection":
            desc["selection"] = [list(item) for item in self.selection or []]
        if self.type in ("float", "monetary") and self.digits:
            desc["digits"] = list(self.digits)
        if self.type == "monetary":
            desc["currency_field"] = "currency_id"
        if self.type in ("char", "text", "html"):
            desc["translate"] = False
            if self.type == "char":
                desc["trim"] = True
        if self.type == "many2one":
            desc["on_delete"] = self.ondelete
        return desc


def char(string, **kw) -> Field:
    return Field("char", string, **kw)


def text(string, **kw) -> Field:
    return Field("text", string, **kw)


def html(string, **kw) -> Field:
    return Field("html", string, **kw)


def integer(string, **kw) -> Field:
    return Field("integer", string, **kw)


def floating(string, **kw) -> Field:
    return Field("float", string, **kw)


def monetary(string, **kw) -> Field:
    return Field("monetary", string, **kw)


def boolean(string, **kw) -> Field:
    return Field("boolean", string, **kw)


def date(string, **kw) -> Field:
    return Field("date", string, **kw)


def datetime_(string, **kw) -> Field:
    return Field("datetime", string, **kw)


def selection(items, string, **kw) -> Field:
    return Field("selection", string, selection=list(items), **kw)


def json_(string, **kw) -> Field:
    return Field("json", string, **kw)


def many2one(relation, string, **kw) -> Field:
    return Field("many2one", string, relation=relation, **kw)


def one2many(relation, inverse_name, string, **kw) -> Field:
    kw.setdefault("copy", False)  # Odoo copies one2many lines only where a model says so
    return Field("one2many", string, relation=relation, inverse_name=inverse_name, **kw)


def many2many(relation, string, **kw) -> Field:
    return Field("many2many", string, relation=relation, **kw)


@dataclass
class Method:
    """A public model method: `func(recs, **params)`; api_model methods take no ids (JSON-2 rejects
    ids for them, execute_kw does not extract ids from args)."""

    func: Callable
    api_model: bool = False
    access: str = "write"  # the model access right the caller needs: read|write|create|unlink


@dataclass
class ModelDef:
    name: str
    description: str
    fields: dict[str, Field]
    rec_name: str = "name"
    order: str = "id"
    parent_name: str | None = None
    transient: bool = False
    inherits: tuple[str, str] | None = None  # (parent model, link many2one) like Odoo's _inherits
    display_name: Callable | None = None  # callable(env, record) -> str
    acl: str = "base"  # key into the access table (see security.py)
    methods: dict[str, Method] = field(default_factory=dict)
    # hooks: callables(env, ids[, vals]) run inside the ORM call
    before_create: Callable | None = None  # (env, vals) -> vals, per record
    after_create: Callable | None = None  # (env, ids, vals_list)
    before_write: Callable | None = None  # (env, ids, vals) -> vals
    after_write: Callable | None = None  # (env, ids, vals)
    before_unlink: Callable | None = None  # (env, ids)
    constraints: list[Callable] = field(default_factory=list)  # (env, ids) -> raise ValidationError

    def __post_init__(self):
        for fname, fdef in self.fields.items():
            fdef.name = fname

    @property
    def has_active(self) -> bool:
        return "active" in self.fields

    @cached_property
    def default_fields(self) -> list[tuple[str, Field]]:
        """Own fields with a default (computed once: create() is a hot path)."""
        return [
            (name, fdef)
            for name, fdef in self.fields.items()
            if fdef.default is not None and fdef.inherited_from is None
        ]

    @cached_property
    def not_null_fields(self) -> list[tuple[str, Field]]:
        """Own stored required fields a create must set (NOT NULL columns in Odoo)."""
        return [
            (name, fdef)
            for name, fdef in self.fields.items()
            if fdef.required
            and fdef.compute is None
            and fdef.inherited_from is None
            and not fdef.is_x2many
            and fdef.type not in ("boolean", "integer", "float", "monetary")
        ]

    def method(self, name: str, *, api_model: bool = False, access: str = "write"):
        def register(func):
            self.methods[name] = Method(func, api_model=api_model, access=access)
            return func

        return register
