"""The simulated ORM: an in-memory Store (tables of dicts indexed by id, one lock, an undo journal
so a failed call changes nothing, like Odoo's one-transaction-per-call), an Env per call, and the
generic model methods (search, read, create, write, unlink, ...) with Odoo's wire semantics."""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import security
from .domain import compile_domain, domain_mentions, parse_domain
from .exceptions import MissingError, ValidationError
from .fields import Field, ModelDef

SUPERUSER_ID = 1
DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
DATETIME_RE = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$"
)
MISSING = object()


_clock = {"second": -1, "text": ""}


def now_string() -> str:
    """UTC now in Odoo's datetime format (cached per second: strftime is hot on writes)."""
    second = int(time.time())
    if second != _clock["second"]:
        _clock["text"] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d %H:%M:%S")
        _clock["second"] = second
    return _clock["text"]


def today_string() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def money_round(value: float, digits: int = 2) -> float:
    """Half-up rounding to the currency precision, like Odoo's float_round."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value or 0.0))).quantize(quantum, rounding=ROUND_HALF_UP))


class Stats:
    """Records created, written and unlinked per model by committed calls (a record counts once
    per call that changed it; call counts live in app.CallStats)."""

    def __init__(self):
        self.created: dict[str, int] = defaultdict(int)
        self.written: dict[str, int] = defaultdict(int)
        self.unlinked: dict[str, int] = defaultdict(int)


class Store:
    """All simulated data. One RLock serialises each call (an Odoo transaction); the journal undoes
    a call that raised, so a half-created purchase order never remains."""

    def __init__(self, registry: dict[str, ModelDef]):
        self.registry = registry
        self.lock = threading.RLock()
        self.stats = Stats()
        self.dirty = False
        self._journal: list | None = None
        self._tx_changes: dict | None = None
        # one2many fields are derived: (comodel, inverse many2one) -> {parent id: set(child ids)}
        self.inverse_keys: set[tuple[str, str]] = set()
        # many2one/many2many fields pointing at a model, for ondelete handling
        self.references: dict[str, list[tuple[str, Field]]] = defaultdict(list)
        for mname, mdef in registry.items():
            for fdef in mdef.fields.values():
                if fdef.type == "one2many" and fdef.inherited_from is None:
                    self.inverse_keys.add((fdef.relation, fdef.inverse_name))
                if fdef.type in ("many2one", "many2many") and fdef.inherited_from is None:
                    self.references[fdef.relation].append((mname, fdef))
        self.clear()

    def clear(self) -> None:
        self.tables: dict[str, dict[int, dict]] = {name: {} for name in self.registry}
        self.next_ids: dict[str, int] = {name: 1 for name in self.registry}
        self.sequences: dict[str, int] = {}
        self.inverse: dict[tuple[str, str], dict[int, set[int]]] = {
            key: defaultdict(set) for key in self.inverse_keys
        }
        # equality indexes built on first use by search (value -> ids; a superset by design:
        # 0/False and 1/True share a bucket, the domain predicate re-checks every candidate)
        self.value_index: dict[tuple[str, str], dict[Any, set[int]]] = {}
        self.value_indexed: dict[str, set[str]] = defaultdict(set)

    # -- raw operations (journaled) ------------------------------------------------------------
    def _index_add(self, model: str, rec: dict, fields: Iterable[str]) -> None:
        for fname in fields:
            key = (model, fname)
            if key in self.inverse and rec.get(fname):
                self.inverse[key][rec[fname]].add(rec["id"])
        for fname in self.value_indexed.get(model, ()):
            if fname in fields:
                self.value_index[(model, fname)][_index_key(rec.get(fname))].add(rec["id"])

    def _index_remove(self, model: str, rec: dict, fields: Iterable[str]) -> None:
        for fname in fields:
            key = (model, fname)
            if key in self.inverse and rec.get(fname):
                self.inverse[key][rec[fname]].discard(rec["id"])
        for fname in self.value_indexed.get(model, ()):
            if fname in fields:
                self.value_index[(model, fname)][_index_key(rec.get(fname))].discard(rec["id"])

    def value_index_for(self, model: str, fname: str) -> dict[Any, set[int]]:
        key = (model, fname)
        index = self.value_index.get(key)
        if index is None:
            index = defaultdict(set)
            for rid, rec in self.tables[model].items():
                index[_index_key(rec.get(fname))].add(rid)
            self.value_index[key] = index
            self.value_indexed[model].add(fname)
        return index

    def _all_keys(self, model: str, rec: dict) -> set[str]:
        return set(rec.keys()) | self.value_indexed.get(model, set())

    def new_id(self, model: str) -> int:
        new = self.next_ids[model]
        self.next_ids[model] = new + 1
        return new

    def insert(self, model: str, rec: dict) -> None:
        self.tables[model][rec["id"]] = rec
        self._index_add(model, rec, self._all_keys(model, rec))
        if self._journal is not None:
            self._journal.append(("insert", model, rec["id"], None))
            self._tx_changes["created"][model].add(rec["id"])

    def update(self, model: str, rid: int, changes: dict) -> None:
        rec = self.tables[model][rid]
        old = {key: rec.get(key, MISSING) for key in changes}
        self._index_remove(model, rec, changes.keys())
        rec.update(changes)
        self._index_add(model, rec, changes.keys())
        if self._journal is not None:
            self._journal.append(("update", model, rid, old))
            if rid not in self._tx_changes["created"][model]:
                self._tx_changes["written"][model].add(rid)

    def delete(self, model: str, rid: int) -> None:
        rec = self.tables[model].pop(rid)
        self._index_remove(model, rec, self._all_keys(model, rec))
        if self._journal is not None:
            self._journal.append(("delete", model, rid, rec))
            if rid in self._tx_changes["created"][model]:
                self._tx_changes["created"][model].discard(rid)
            else:
                self._tx_changes["unlinked"][model].add(rid)
                self._tx_changes["written"][model].discard(rid)

    def next_sequence(self, code: str) -> int:
        number = self.sequences.get(code, 0) + 1
        self.sequences[code] = number
        return number

    def _rollback(self, journal: list) -> None:
        for op, model, rid, payload in reversed(journal):
            if op == "insert":
                rec = self.tables[model].pop(rid, None)
                if rec is not None:
                    self._index_remove(model, rec, self._all_keys(model, rec))
            elif op == "update":
                rec = self.tables[model][rid]
                self._index_remove(model, rec, payload.keys())
                for key, value in payload.items():
                    if value is MISSING:
                        rec.pop(key, None)
                    else:
                        rec[key] = value
                self._index_add(model, rec, payload.keys())
            elif op == "delete":
                self.tables[model][rid] = payload
                self._index_add(model, payload, self._all_keys(model, payload))

    @contextmanager
    def transaction(self):
        """One call = one transaction: commit counts on success, undo everything on error."""
        with self.lock:
            if self._journal is not None:  # nested: a savepoint inside the call's transaction
                mark = len(self._journal)
                saved = {
                    kind: defaultdict(set, {m: set(ids) for m, ids in changes.items()})
                    for kind, changes in self._tx_changes.items()
                }
                try:
                    yield
                except BaseException:
                    self._rollback(self._journal[mark:])
                    del self._journal[mark:]
                    self._tx_changes = saved
                    raise
                return
            self._journal = []
            self._tx_changes = {
                "created": defaultdict(set),
                "written": defaultdict(set),
                "unlinked": defaultdict(set),
            }
            try:
                yield
            except BaseException:
                self._rollback(self._journal)
                raise
            else:
                changes = self._tx_changes
                for kind in ("created", "written", "unlinked"):
                    counter = getattr(self.stats, kind)
                    for model, ids in changes[kind].items():
                        if ids:
                            counter[model] += len(ids)
                if self._journal:
                    self.dirty = True
            finally:
                self._journal = None
                self._tx_changes = None

    # -- persistence ----------------------------------------------------------------------------
    def snapshot(self) -> dict:
        with self.lock:
            return {
                "format": "odoo-sim-state/1",
                "tables": {m: list(t.values()) for m, t in self.tables.items() if t},
                "next_ids": dict(self.next_ids),
                "sequences": dict(self.sequences),
            }

    def restore(self, data: dict) -> None:
        with self.lock:
            self.clear()
            for model, rows in data.get("tables", {}).items():
                if model not in self.registry:
                    continue
                for rec in rows:
                    self.tables[model][rec["id"]] = rec
                    self._index_add(model, rec, self._all_keys(model, rec))
            for model, next_id in data.get("next_ids", {}).items():
                if model in self.next_ids:
                    self.next_ids[model] = max(next_id, self.next_ids[model])
            for model, table in self.tables.items():
                if table:
                    self.next_ids[model] = max(self.next_ids[model], max(table) + 1)
            self.sequences = dict(data.get("sequences", {}))

    def dumps(self) -> str:
        return json.dumps(self.snapshot(), sort_keys=True)


def _index_key(value):
    return False if value is None else value


class Env:
    """The per-call environment: who calls (uid), with which context."""

    def __init__(self, store: Store, uid: int, context: dict | None = None, su: bool = False):
        self.store = store
        self.registry = store.registry
        self.uid = uid
        self.context = dict(context or {})
        self.su = su

    def sudo(self) -> Env:
        return Env(self.store, self.uid, self.context, su=True)

    def with_context(self, **values) -> Env:
        return Env(self.store, self.uid, {**self.context, **values}, su=self.su)

    def __getitem__(self, model: str) -> Records:
        if model not in self.registry:
            raise KeyError(model)
        return Records(self, model, ())

    @property
    def user(self) -> dict:
        return self.store.tables["res.users"].get(self.uid, {})

    @property
    def company_id(self) -> int:
        return self.user.get("company_id") or 1

    def check_access(self, model: str, operation: str) -> None:
        if self.su or self.uid == SUPERUSER_ID:
            return
        security.check_model_access(self, model, operation)


class Records:
    """A recordset-lite passed as `self` to model methods: model name, ids, env."""

    def __init__(self, env: Env, model: str, ids: Iterable[int]):
        self.env = env
        self._name = model
        self.ids = list(ids)

    @property
    def mdef(self) -> ModelDef:
        return self.env.registry[self._name]

    def browse(self, ids) -> Records:
        if isinstance(ids, int):
            ids = [ids]
        return Records(self.env, self._name, ids or [])

    def rows(self) -> list[dict]:
        table = self.env.store.tables[self._name]
        return [table[i] for i in self.ids if i in table]

    def __iter__(self):
        return iter(self.ids)

    def __len__(self):
        return len(self.ids)

    def __repr__(self) -> str:
        return f"{self._name}({', '.join(map(str, self.ids))}{',' if len(self.ids) == 1 else ''})"


# ------------------------------------------------------------------------------------------------
# value access
# ------------------------------------------------------------------------------------------------


def get_value(env: Env, model: str, rec: dict, fname: str) -> Any:
    """The raw value of a field on a record: stored, inherited (_inherits), computed or derived
    (one2many from the inverse index)."""
    fdef = env.registry[model].fields[fname]
    if fdef.inherited_from is not None:
        parent_model, link = env.registry[model].inherits
        parent = env.store.tables[parent_model].get(rec.get(link))
        if parent is None:
            return False
        return get_value(env, parent_model, parent, fname)
    if fdef.compute is not None:
        return fdef.compute(env, rec)
    if fdef.type == "one2many":
        children = env.store.inverse[(fdef.relation, fdef.inverse_name)].get(rec["id"], ())
        return sorted_ids(env, fdef.relation, children)
    if fdef.type == "many2many":
        return rec.get(fname) or []
    value = rec.get(fname, MISSING)
    if value is MISSING or value is None:
        if fdef.type in ("integer",):
            return 0
        if fdef.type in ("float", "monetary"):
            return 0.0
        return False
    return value


def sorted_ids(env: Env, model: str, ids: Iterable[int]) -> list[int]:
    ids = list(ids)
    if len(ids) < 2:
        return ids
    table = env.store.tables[model]
    if "sequence" in env.registry[model].fields:
        return sorted(ids, key=lambda i: (table[i].get("sequence") or 0, i))
    return sorted(ids)


def display_name(env: Env, model: str, rid: int) -> str | bool:
    rec = env.store.tables[model].get(rid)
    if rec is None:
        return False
    mdef = env.registry[model]
    if mdef.display_name is not None:
        return mdef.display_name(env, rec)
    if mdef.rec_name in mdef.fields:
        value = get_value(env, model, rec, mdef.rec_name)
        return value if value else ""
    return f"{model},{rid}"


def convert_to_read(env: Env, fdef: Field, value: Any, load: str | None) -> Any:
    if fdef.type == "many2one":
        if not value:
            return False
        if load == "_classic_read":
            return [value, display_name(env, fdef.relation, value)]
        return value
    if fdef.is_x2many:
        return list(value or [])
    if fdef.type in ("float", "monetary"):
        return float(value or 0.0)
    if fdef.type == "integer":
        return int(value or 0)
    if fdef.type == "boolean":
        return bool(value)
    if fdef.type == "json":
        return copy.deepcopy(value) if value else False
    if value is None or value == "" and fdef.type in ("date", "datetime", "selection"):
        return False
    return value


# ------------------------------------------------------------------------------------------------
# search
# ------------------------------------------------------------------------------------------------


def parse_order(model: str, mdef: ModelDef, order: str | None) -> list[tuple[str, bool, bool]]:
    spec = order or mdef.order
    result = []
    for part in spec.split(","):
        words = part.strip().split()
        if not words:
            continue
        fname = words[0]
        direction = words[1].lower() if len(words) > 1 else "asc"
        nulls = " ".join(words[2:]).lower()
        valid = (
            (fname == "id" or fname in mdef.fields)
            and direction in ("asc", "desc")
            and nulls in ("", "nulls first", "nulls last")
        )
        if not valid:
            raise ValueError(
                f'Invalid "order" specified ({spec}). A valid "order" specification is a '
                "comma-separated list of valid field names (optionally followed by asc/desc "
                "for the direction)"
            )
        descending = direction == "desc"
        nulls_first = nulls == "nulls first" if nulls else descending  # PostgreSQL default
        result.append((fname, descending, nulls_first))
    return result


def _sort_key(env: Env, model: str, fname: str):
    if fname == "id":
        return lambda rec: rec["id"]
    fdef = env.registry[model].fields[fname]
    if fdef.type == "many2one":
        return lambda rec: display_name(env, fdef.relation, get_value(env, model, rec, fname))
    return lambda rec: get_value(env, model, rec, fname)


def search_ids(
    env: Env,
    model: str,
    domain,
    offset: int = 0,
    limit: int | None = None,
    order: str | None = None,
    active_test: bool | None = None,
) -> list[int]:
    mdef = env.registry[model]
    tree = parse_domain(domain)
    if active_test is None:
        active_test = env.context.get("active_test", True)
    if mdef.has_active and active_test and not domain_mentions(tree, "active"):
        tree = ("&", ("active", "=", True), tree)
    predicate = compile_domain(env, model, tree)
    table = env.store.tables[model]
    candidates = _indexed_candidates(env, model, tree)
    if candidates is None:
        rows = [rec for rec in table.values() if predicate(rec)]
    else:
        rows = [table[i] for i in sorted(candidates) if i in table and predicate(table[i])]
    for fname, descending, nulls_first in reversed(parse_order(model, mdef, order)):
        key = _sort_key(env, model, fname)
        present = [r for r in rows if key(r) not in (False, None)]
        absent = [r for r in rows if key(r) in (False, None)]
        present.sort(key=key, reverse=descending)
        rows = absent + present if nulls_first else present + absent
    offset = int(offset or 0)
    if limit:
        rows = rows[offset : offset + int(limit)]
    elif offset:
        rows = rows[offset:]
    return [rec["id"] for rec in rows]


INDEXABLE_TYPES = frozenset(
    {"char", "integer", "many2one", "selection", "boolean", "date", "datetime"}
)


def _and_leaves(tree):
    if tree and tree[0] == "&" and len(tree) == 3 and not isinstance(tree[1], str):
        yield from _and_leaves(tree[1])
        yield from _and_leaves(tree[2])
    elif tree and isinstance(tree[0], str) and tree[0] not in ("|", "!", "&") and len(tree) == 3:
        yield tree


def _indexed_candidates(env: Env, model: str, tree) -> set[int] | None:
    """Candidate ids from the most selective equality leaf of a top-level AND, or None (scan)."""
    from .domain import normalize_value

    mdef = env.registry[model]
    best: set[int] | None = None
    for path, operator, value in _and_leaves(tree):
        if operator not in ("=", "in") or "." in path:
            continue
        values = value if operator == "in" else [value]
        if not isinstance(values, list | tuple) or len(values) > 64:
            continue
        if path == "id":
            found = {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
            if len(found) != len(values):
                continue
        else:
            fdef = mdef.fields.get(path)
            if (
                fdef is None
                or fdef.compute is not None
                or fdef.inherited_from is not None
                or fdef.type not in INDEXABLE_TYPES
                or (fdef.type == "many2one" and any(isinstance(v, str) for v in values))
                or any(isinstance(v, list | dict) for v in values)
            ):
                continue
            index = env.store.value_index_for(model, path)
            found = set()
            for item in normalize_value(fdef.type, list(values)):
                found |= index.get(_index_key(item), set())
                if fdef.type == "boolean" and not item:
                    found |= index.get(False, set())
        if best is None or len(found) < len(best):
            best = found
    return best


def name_search_ids(env: Env, model: str, name: str, operator: str = "ilike", domain=None):
    mdef = env.registry[model]
    base = list(domain or [])
    if not name and operator in ("ilike", "like", "=ilike", "=like"):
        return search_ids(env, model, base)
    matching = set(search_ids(env, model, base))
    table = env.store.tables[model]
    from .domain import _scalar_predicate

    predicate = _scalar_predicate(lambda value: value, "char", operator, name)
    hits = [
        rid
        for rid in sorted_by_order(env, model, matching)
        if predicate(display_name(env, model, rid) or "")
        or ("code" in mdef.fields and predicate(table[rid].get("code") or ""))
        or (
            "default_code" in mdef.fields
            and predicate(get_value(env, model, table[rid], "default_code") or "")
        )
    ]
    return hits


def sorted_by_order(env: Env, model: str, ids) -> list[int]:
    return search_ids(env, model, [("id", "in", list(ids))], active_test=False) if ids else []


# ------------------------------------------------------------------------------------------------
# read
# ------------------------------------------------------------------------------------------------


def check_fields(model: str, mdef: ModelDef, names: Iterable[str]) -> None:
    for name in names:
        if name != "id" and name not in mdef.fields:
            raise ValueError(f"Invalid field {name!r} on model {model!r}")


def read_records(env: Env, model: str, ids, fields=None, load="_classic_read") -> list[dict]:
    mdef = env.registry[model]
    if fields:
        check_fields(model, mdef, fields)
        names = [f for f in fields if f != "id"]
    else:
        names = list(mdef.fields)
    table = env.store.tables[model]
    result = []
    for rid in ids:
        rec = table.get(rid)
        if rec is None:
            continue  # Odoo skips records deleted meanwhile rather than failing the read
        row = {"id": rid}
        for name in names:
            fdef = mdef.fields[name]
            row[name] = convert_to_read(env, fdef, get_value(env, model, rec, name), load)
        result.append(row)
    return result


# ------------------------------------------------------------------------------------------------
# create / write / unlink
# ------------------------------------------------------------------------------------------------


def _model_label(mdef: ModelDef) -> str:
    return f"{mdef.description} ({mdef.name})"


def not_null_error(mdef: ModelDef, fdef: Field) -> ValidationError:
    return ValidationError(
        "The operation cannot be completed:\n"
        "- Create/update: a mandatory field is not set.\n"
        "- Delete: another model requires the record being deleted. If possible, archive it "
        "instead.\n\n"
        f"Model: {_model_label(mdef)}\n"
        f"Field: {fdef.string} ({fdef.name})\n"
    )


def foreign_key_error(mdef: ModelDef, fdef: Field) -> ValidationError:
    return ValidationError(
        "The operation cannot be completed: another model requires the record being deleted. "
        "If possible, archive it instead.\n\n"
        f"Model: {_model_label(mdef)}\n"
        f"Constraint: {mdef.name.replace('.', '_')}_{fdef.name}_fkey\n"
    )


def missing_error(env: Env, model: str, ids) -> MissingError:
    ids = list(ids)
    listed = ", ".join(str(i) for i in ids) + ("," if len(ids) == 1 else "")
    return MissingError(
        f"Record does not exist or has been deleted.\n(Record: {model}({listed}), User: {env.uid})"
    )


def _convert_scalar(mdef: ModelDef, fdef: Field, value: Any) -> Any:
    """RPC value -> raw value, with Odoo's type conversions; bad values raise ValidationError."""
    ftype = fdef.type
    if value is None:
        value = False
    try:
        if ftype in ("char", "text", "html"):
            if value is False:
                return False
            return str(value)
        if ftype == "selection":
            if value is False or value == "":
                return False
            allowed = {key for key, _ in fdef.selection or []}
            if value not in allowed:
                raise ValidationError(f"Wrong value for {mdef.name}.{fdef.name}: {value!r}")
            return value
        if ftype == "integer":
            return int(value or 0)
        if ftype in ("float", "monetary"):
            return float(value or 0.0)
        if ftype == "boolean":
            return bool(value)
        if ftype == "date":
            if not value:
                return False
            text_value = str(value)[:10]
            if not DATE_RE.match(text_value):
                datetime.strptime(text_value, "%Y-%m-%d")  # raises with Python's message
            return text_value
        if ftype == "datetime":
            if not value:
                return False
            text_value = str(value)[:19]
            if len(text_value) == 10:
                text_value += " 00:00:00"
            if not DATETIME_RE.match(text_value):
                datetime.strptime(text_value, "%Y-%m-%d %H:%M:%S")
            return text_value
        if ftype == "json":
            if value is False:
                return False
            if isinstance(value, str):
                value = json.loads(value)
            return copy.deepcopy(value)
        if ftype == "binary":
            return value or False
    except ValidationError:
        raise
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"Wrong value for {mdef.name}.{fdef.name}: {value!r} ({exc})"
        ) from None
    return value


def _convert_many2one(env: Env, mdef: ModelDef, fdef: Field, value: Any) -> Any:
    if value is None or value is False or value == 0:
        return False
    if isinstance(value, list | tuple) and value:  # [id, name] as read returns it
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ValidationError(
                f"Wrong value for {mdef.name}.{fdef.name}: {value!r} (expected a record id)"
            ) from None
    if value not in env.store.tables[fdef.relation]:
        raise foreign_key_error(mdef, fdef)
    return value


def _split_inherited(mdef: ModelDef, vals: dict) -> tuple[dict, dict]:
    if mdef.inherits is None:
        return vals, {}
    own, parent = {}, {}
    for key, value in vals.items():
        fdef = mdef.fields.get(key)
        if fdef is not None and fdef.inherited_from is not None:
            parent[key] = value
        else:
            own[key] = value
    return own, parent


def _default_value(env: Env, fdef: Field):
    default = fdef.default
    if callable(default):
        return default(env)
    if isinstance(default, list | dict):
        return copy.deepcopy(default)
    return default


def create_records(env: Env, model: str, vals_list: list[dict]) -> list[int]:
    """Create records (vals dicts as an RPC client sends them); returns the new ids in order."""
    mdef = env.registry[model]
    store = env.store
    new_ids = []
    prepared_all = []
    for vals in vals_list:
        if not isinstance(vals, dict):
            raise ValueError(f"create() expects a dict or a list of dicts, got {vals!r}")
        vals = dict(vals)
        vals.pop("id", None)
        check_fields(model, mdef, vals)
        ctx_defaults = {
            key[len("default_") :]: value
            for key, value in env.context.items()
            if key.startswith("default_") and key[len("default_") :] in mdef.fields
        }
        for key, value in ctx_defaults.items():
            vals.setdefault(key, value)
        for fname, fdef in mdef.default_fields:
            if fname not in vals:
                vals[fname] = _default_value(env, fdef)
        if mdef.before_create is not None:
            vals = mdef.before_create(env, vals)
        own, parent_vals = _split_inherited(mdef, vals)
        if mdef.inherits is not None:
            parent_model, link = mdef.inherits
            if not own.get(link):
                parent_env = env.with_context(_inherits_child=model)
                own[link] = create_records(parent_env, parent_model, [parent_vals])[0]
            elif parent_vals:
                write_records(env, parent_model, [own[link]], parent_vals)
        rid = store.new_id(model)
        stamp = now_string()
        rec: dict[str, Any] = {
            "id": rid,
            "create_date": stamp,
            "write_date": stamp,
            "create_uid": env.uid,
            "write_uid": env.uid,
        }
        relational: list[tuple[Field, Any]] = []
        for fname, value in own.items():
            if fname.startswith("__"):  # hidden values set by model hooks, never by clients
                rec[fname] = value
                continue
            fdef = mdef.fields[fname]
            if fname in ("create_date", "write_date", "create_uid", "write_uid"):
                continue
            if fdef.is_x2many:
                relational.append((fdef, value))
            elif fdef.compute is not None:
                continue  # Odoo ignores values for computed fields without an inverse
            elif fdef.type == "many2one":
                rec[fname] = _convert_many2one(env, mdef, fdef, value)
            else:
                rec[fname] = _convert_scalar(mdef, fdef, value)
        for fname, fdef in mdef.not_null_fields:
            if rec.get(fname) in (None, False, ""):
                raise not_null_error(mdef, fdef)
        store.insert(model, rec)
        for fdef, commands in relational:
            apply_x2many(env, model, rid, fdef, commands, creating=True)
        new_ids.append(rid)
        prepared_all.append(vals)
    if mdef.after_create is not None:
        mdef.after_create(env, new_ids, prepared_all)
    for constraint in mdef.constraints:
        constraint(env, new_ids)
    return new_ids


def write_records(env: Env, model: str, ids: list[int], vals: dict) -> None:
    """Write the same values on records (Odoo's write semantics, x2many commands included)."""
    mdef = env.registry[model]
    store = env.store
    table = store.tables[model]
    if not isinstance(vals, dict):
        raise ValueError(f"write() expects a dict of values, got {vals!r}")
    missing = [i for i in ids if i not in table]
    if missing:
        raise missing_error(env, model, missing)
    vals = dict(vals)
    vals.pop("id", None)
    check_fields(model, mdef, vals)
    if mdef.before_write is not None:
        vals = mdef.before_write(env, ids, vals)
    own, parent_vals = _split_inherited(mdef, vals)
    if parent_vals:
        parent_model, link = mdef.inherits
        parent_ids = sorted({table[i][link] for i in ids if table[i].get(link)})
        write_records(env, parent_model, parent_ids, parent_vals)
    changes: dict[str, Any] = {}
    relational: list[tuple[Field, Any]] = []
    for fname, value in own.items():
        if fname.startswith("__"):  # hidden values set by model hooks, never by clients
            changes[fname] = value
            continue
        fdef = mdef.fields[fname]
        if fname in ("create_date", "write_date", "create_uid", "write_uid", "display_name"):
            continue
        if fdef.is_x2many:
            relational.append((fdef, value))
        elif fdef.compute is not None:
            continue
        elif fdef.type == "many2one":
            changes[fname] = _convert_many2one(env, mdef, fdef, value)
        else:
            changes[fname] = _convert_scalar(mdef, fdef, value)
        if (
            fdef.required
            and not fdef.is_x2many
            and fdef.compute is None
            and changes.get(fname, True) in (None, False, "")
            and fdef.type not in ("boolean", "integer", "float", "monetary")
        ):
            raise not_null_error(mdef, fdef)
    stamp = now_string()
    for rid in ids:
        store.update(model, rid, {**changes, "write_date": stamp, "write_uid": env.uid})
        for fdef, commands in relational:
            apply_x2many(env, model, rid, fdef, commands, creating=False)
    if mdef.after_write is not None:
        mdef.after_write(env, ids, vals)
    for constraint in mdef.constraints:
        constraint(env, ids)


def touch(env: Env, model: str, ids: Iterable[int]) -> None:
    """Bump write_date like Odoo does when a stored computed field of the record changes."""
    stamp = now_string()
    table = env.store.tables[model]
    for rid in ids:
        if rid in table:
            env.store.update(model, rid, {"write_date": stamp, "write_uid": env.uid})


def unlink_records(env: Env, model: str, ids: Iterable[int]) -> None:
    """Delete records, applying ondelete rules of the fields that point at them."""
    mdef = env.registry[model]
    store = env.store
    table = store.tables[model]
    ids = [i for i in dict.fromkeys(ids) if i in table]  # already deleted: nothing to do
    if not ids:
        return
    if mdef.before_unlink is not None:
        mdef.before_unlink(env, ids)
    doomed = set(ids)
    for ref_model, fdef in store.references.get(model, ()):
        ref_table = store.tables[ref_model]
        if fdef.type == "many2many":
            for ref in list(ref_table.values()):
                current = ref.get(fdef.name) or []
                if any(i in doomed for i in current):
                    store.update(
                        ref_model, ref["id"], {fdef.name: [i for i in current if i not in doomed]}
                    )
            continue
        key = (ref_model, fdef.name)
        if key in store.inverse:
            referencing = set()
            for i in doomed:
                referencing |= store.inverse[key].get(i, set())
        else:
            referencing = {r["id"] for r in ref_table.values() if r.get(fdef.name) in doomed}
        if ref_model == model:
            referencing -= doomed
        if not referencing:
            continue
        if fdef.ondelete == "cascade":
            unlink_records(env, ref_model, sorted(referencing))
        elif fdef.ondelete == "restrict" or fdef.required:
            raise foreign_key_error(env.registry[ref_model], fdef)
        else:
            for rid in referencing:
                if rid in ref_table:
                    store.update(ref_model, rid, {fdef.name: False})
    for rid in ids:
        if rid in table:
            store.delete(model, rid)


def apply_x2many(env: Env, model: str, rid: int, fdef: Field, commands, creating: bool) -> None:
    """x2many command tuples 0-6 (reference §2.5); a plain id list means SET."""
    if commands is False or commands is None:
        commands = [(5, 0, 0)]
    if not isinstance(commands, list | tuple):
        raise ValueError(f"Invalid x2many value for {model}.{fdef.name}: {commands!r}")
    if commands and all(isinstance(c, int) and not isinstance(c, bool) for c in commands):
        commands = [(6, 0, list(commands))]
    comodel = fdef.relation
    for command in commands:
        if not isinstance(command, list | tuple) or not command:
            raise ValueError(f"Invalid x2many command for {model}.{fdef.name}: {command!r}")
        code = command[0]
        arg1 = command[1] if len(command) > 1 else 0
        arg2 = command[2] if len(command) > 2 else 0
        if fdef.type == "one2many":
            _apply_one2many(env, model, rid, fdef, comodel, code, arg1, arg2)
        else:
            _apply_many2many(env, model, rid, fdef, comodel, code, arg1, arg2)


def _o2m_remove(env: Env, comodel: str, inverse: str, child_ids: Iterable[int]) -> None:
    inverse_field = env.registry[comodel].fields[inverse]
    child_ids = [c for c in child_ids if c in env.store.tables[comodel]]
    if not child_ids:
        return
    if inverse_field.ondelete == "cascade" or inverse_field.required:
        unlink_records(env, comodel, child_ids)
    else:
        write_records(env, comodel, child_ids, {inverse: False})


def _apply_one2many(env, model, rid, fdef, comodel, code, arg1, arg2) -> None:
    inverse = fdef.inverse_name
    current = set(env.store.inverse[(comodel, inverse)].get(rid, set()))
    if code == 0:
        create_records(env, comodel, [{**(arg2 or {}), inverse: rid}])
    elif code == 1:
        write_records(env, comodel, [int(arg1)], arg2 or {})
    elif code == 2:
        unlink_records(env, comodel, [int(arg1)])
    elif code == 3:
        _o2m_remove(env, comodel, inverse, [int(arg1)])
    elif code == 4:
        write_records(env, comodel, [int(arg1)], {inverse: rid})
    elif code == 5:
        _o2m_remove(env, comodel, inverse, sorted(current))
    elif code == 6:
        wanted = [int(i) for i in (arg2 or [])]
        _o2m_remove(env, comodel, inverse, sorted(current - set(wanted)))
        to_link = [i for i in wanted if i not in current]
        if to_link:
            write_records(env, comodel, to_link, {inverse: rid})
    else:
        raise ValueError(f"Invalid x2many command {code!r} on {model}.{fdef.name}")


def _apply_many2many(env, model, rid, fdef, comodel, code, arg1, arg2) -> None:
    store = env.store
    current = list(store.tables[model][rid].get(fdef.name) or [])
    comodel_table = store.tables[comodel]

    def checked(ids):
        ids = [int(i) for i in ids]
        missing = [i for i in ids if i not in comodel_table]
        if missing:
            raise foreign_key_error(env.registry[model], fdef)
        return ids

    if code == 0:
        new_id = create_records(env, comodel, [arg2 or {}])[0]
        current.append(new_id)
    elif code == 1:
        write_records(env, comodel, [int(arg1)], arg2 or {})
    elif code == 2:
        unlink_records(env, comodel, [int(arg1)])
        current = [i for i in current if i != int(arg1)]
    elif code == 3:
        current = [i for i in current if i != int(arg1)]
    elif code == 4:
        (link,) = checked([arg1])
        if link not in current:
            current.append(link)
    elif code == 5:
        current = []
    elif code == 6:
        current = list(dict.fromkeys(checked(arg2 or [])))
    else:
        raise ValueError(f"Invalid x2many command {code!r} on {model}.{fdef.name}")
    if rid in store.tables[model]:
        store.update(model, rid, {fdef.name: current})


def check_exists(env: Env, model: str, ids: Iterable[int]) -> None:
    table = env.store.tables[model]
    missing = [i for i in ids if i not in table]
    if missing:
        raise missing_error(env, model, missing)
