"""The public methods every model has (BaseModel), with Odoo 17+/19 parameter names so JSON-2's
named arguments and execute_kw's positional ones bind the same way (reference §2.1, §1.4)."""

from __future__ import annotations

from collections import defaultdict

from . import orm
from .fields import Method
from .orm import Records


class CreatedIds(list):
    """create() result: execute_kw returns a bare id when the caller passed one dict."""


def search(self: Records, domain, offset=0, limit=None, order=None):
    return orm.search_ids(self.env, self._name, domain, offset=offset, limit=limit, order=order)


def search_count(self: Records, domain=None, limit=None):
    count = len(orm.search_ids(self.env, self._name, domain or []))
    return min(count, int(limit)) if limit else count


def search_read(self: Records, domain=None, fields=None, offset=0, limit=None, order=None, **kw):
    load = kw.pop("load", "_classic_read")
    if kw:
        raise TypeError(f"search_read() got an unexpected keyword argument {next(iter(kw))!r}")
    ids = orm.search_ids(
        self.env, self._name, domain or [], offset=offset, limit=limit, order=order
    )
    return orm.read_records(self.env, self._name, ids, fields, load)


def read(self: Records, fields=None, load="_classic_read"):
    return orm.read_records(self.env, self._name, self.ids, fields, load)


def create(self: Records, vals_list):
    if isinstance(vals_list, dict):
        vals_list = [vals_list]
    if not isinstance(vals_list, list):
        raise ValueError(f"create() expects a dict or a list of dicts, got {vals_list!r}")
    return CreatedIds(orm.create_records(self.env, self._name, vals_list))


def write(self: Records, vals):
    orm.write_records(self.env, self._name, self.ids, vals)
    return True


def unlink(self: Records):
    orm.unlink_records(self.env, self._name, self.ids)
    return True


def fields_get(self: Records, allfields=None, attributes=None):
    mdef = self.mdef
    names = allfields or list(mdef.fields)
    result = {}
    for name in names:
        fdef = mdef.fields.get(name)
        if fdef is None:
            continue
        desc = fdef.attributes()
        if attributes:
            desc = {key: value for key, value in desc.items() if key in attributes}
        result[name] = desc
    if not allfields or "id" in allfields:
        desc = {
            "type": "integer",
            "string": "ID",
            "help": False,
            "required": False,
            "readonly": True,
            "store": True,
            "searchable": True,
            "sortable": True,
            "name": "id",
        }
        result["id"] = {k: v for k, v in desc.items() if not attributes or k in attributes}
    return result


def name_search(self: Records, name="", domain=None, operator="ilike", limit=100):
    ids = orm.name_search_ids(self.env, self._name, name or "", operator, domain)
    if limit:
        ids = ids[: int(limit)]
    return [[rid, orm.display_name(self.env, self._name, rid)] for rid in ids]


def name_get(self: Records):
    table = self.env.store.tables[self._name]
    return [[rid, orm.display_name(self.env, self._name, rid)] for rid in self.ids if rid in table]


def name_create(self: Records, name):
    rec_name = self.mdef.rec_name
    rid = orm.create_records(self.env, self._name, [{rec_name: name}])[0]
    return [rid, orm.display_name(self.env, self._name, rid)]


def default_get(self: Records, fields):
    env = self.env
    mdef = self.mdef
    orm.check_fields(self._name, mdef, fields)
    result = {}
    for name in fields:
        context_key = f"default_{name}"
        if context_key in env.context:
            result[name] = env.context[context_key]
            continue
        fdef = mdef.fields.get(name)
        if fdef is None or fdef.default is None:
            continue
        value = fdef.default(env) if callable(fdef.default) else fdef.default
        if fdef.type == "many2many" and isinstance(value, list) and value:
            value = [[6, 0, list(value)]]
        result[name] = value
    return result


def copy(self: Records, default=None):
    env = self.env
    new_ids = [_copy_record(env, self._name, rid, default or {}) for rid in self.ids]
    return new_ids[0] if len(new_ids) == 1 else new_ids


def _copy_record(env, model: str, rid: int, default: dict) -> int:
    """Copy a record: fields with copy=True, one2many lines of fields marked copy=True."""
    orm.check_exists(env, model, [rid])
    mdef = env.registry[model]
    rec = env.store.tables[model][rid]
    vals = {}
    line_fields = []
    for name, fdef in mdef.fields.items():
        if (
            not fdef.copy
            or fdef.compute is not None
            or fdef.inherited_from is not None
            or name in ("create_date", "write_date", "create_uid", "write_uid")
        ):
            continue
        if fdef.type == "one2many":
            line_fields.append(fdef)
        elif name in rec:
            vals[name] = list(rec[name]) if isinstance(rec[name], list) else rec[name]
    rec_name = mdef.rec_name
    if (
        rec_name in vals
        and rec_name not in default
        and mdef.fields[rec_name].type == "char"
        and vals[rec_name]
    ):
        vals[rec_name] = f"{vals[rec_name]} (copy)"
    vals.update(default)
    new_id = orm.create_records(env, model, [vals])[0]
    for fdef in line_fields:
        if fdef.name in default:
            continue  # the caller's commands replace the copied lines
        children = env.store.inverse[(fdef.relation, fdef.inverse_name)].get(rid, set())
        for child in orm.sorted_ids(env, fdef.relation, children):
            _copy_record(env, fdef.relation, child, {fdef.inverse_name: new_id})
    return new_id


def exists(self: Records):
    table = self.env.store.tables[self._name]
    return [rid for rid in self.ids if rid in table]


def check_access_rights(self: Records, operation, raise_exception=True):
    from . import security

    if self.env.su or security.has_access(self.env, self._name, operation):
        return True
    if raise_exception:
        raise security.access_error(self.env, self._name, operation)
    return False


def read_group(
    self: Records, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
):
    """Group by plain fields (no date granularity); sums numeric aggregates like `amount:sum`."""
    env = self.env
    model = self._name
    mdef = self.mdef
    groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
    if lazy and groupby:
        groupby = groupby[:1]
    ids = orm.search_ids(env, model, domain or [])
    table = env.store.tables[model]
    aggregates = []
    for spec in fields or []:
        name, _, func = spec.partition(":")
        name = name.split("(")[0]
        if name in mdef.fields and mdef.fields[name].type in ("integer", "float", "monetary"):
            aggregates.append((name, func or "sum"))
    groups: dict[tuple, list[int]] = defaultdict(list)
    for rid in ids:
        key = tuple(orm.get_value(env, model, table[rid], g) for g in groupby)
        groups[key].append(rid)
    result = []
    for key, member_ids in groups.items():
        row = {}
        for gname, value in zip(groupby, key, strict=True):
            fdef = mdef.fields[gname]
            row[gname] = orm.convert_to_read(env, fdef, value, "_classic_read")
        row[f"{groupby[0]}_count" if groupby else "__count"] = len(member_ids)
        for name, func in aggregates:
            values = [orm.get_value(env, model, table[i], name) or 0 for i in member_ids]
            if func == "max":
                row[name] = max(values)
            elif func == "min":
                row[name] = min(values)
            elif func in ("avg",):
                row[name] = sum(values) / len(values)
            elif func == "count":
                row[name] = len(values)
            else:
                row[name] = sum(values)
        row["__domain"] = list(
            [(g, "=", v) for g, v in zip(groupby, key, strict=True)] + list(domain or [])
        )
        result.append(row)
    if not groupby and not result:
        result = [{"__count": 0, **{name: 0 for name, _ in aggregates}, "__domain": []}]
    offset = int(offset or 0)
    return result[offset : offset + int(limit)] if limit else result[offset:]


def search_fetch(self: Records, domain, field_names=None, offset=0, limit=None, order=None):
    return orm.search_ids(self.env, self._name, domain, offset=offset, limit=limit, order=order)


def has_access(self: Records, operation):
    from . import security

    return bool(self.env.su or security.has_access(self.env, self._name, operation))


def formatted_read_group(
    self: Records, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
):
    """Odoo 19's grouping: one dict per group with the groupby values, "__count" and
    "<field>:<aggregate>" keys."""
    env = self.env
    model = self._name
    mdef = self.mdef
    groupby = list(groupby or [])
    orm.check_fields(model, mdef, groupby)
    specs = []
    for spec in aggregates or []:
        if spec == "__count":
            continue
        name, _, func = spec.partition(":")
        orm.check_fields(model, mdef, [name])
        specs.append((spec, name, func or "sum"))
    table = env.store.tables[model]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for rid in orm.search_ids(env, model, domain or []):
        key = tuple(orm.get_value(env, model, table[rid], g) for g in groupby)
        key = tuple(tuple(v) if isinstance(v, list) else v for v in key)
        groups[key].append(rid)
    result = []
    for key, member_ids in groups.items():
        row = {
            gname: orm.convert_to_read(env, mdef.fields[gname], value, "_classic_read")
            for gname, value in zip(groupby, key, strict=True)
        }
        row["__count"] = len(member_ids)
        for spec, name, func in specs:
            values = [orm.get_value(env, model, table[i], name) for i in member_ids]
            row[spec] = _aggregate(func, values)
        result.append(row)
    offset = int(offset or 0)
    return result[offset : offset + int(limit)] if limit else result[offset:]


def _aggregate(func: str, values: list):
    numbers = [v or 0 for v in values]
    if func == "max":
        return max(numbers) if numbers else False
    if func == "min":
        return min(numbers) if numbers else False
    if func == "avg":
        return sum(numbers) / len(numbers) if numbers else False
    if func == "count":
        return len(values)
    if func == "count_distinct":
        return len({repr(v) for v in values})
    if func == "array_agg":
        return values
    return sum(numbers)


def load(self: Records, fields, data):
    """Import rows like Odoo's load(): an "id" column holds external ids (bare names get the
    __import__ module) so loading the same rows twice updates instead of duplicating;
    "<field>/id" columns resolve many2one by external id, ".id" columns by database id."""
    env = self.env
    model = self._name
    mdef = self.mdef
    ids, messages = [], []
    store = env.store
    for index, row in enumerate(data or []):
        values = dict(zip(fields, row, strict=False))
        xmlid = values.pop("id", None)
        vals = {}
        try:
            for column, value in values.items():
                name, _, suffix = column.partition("/")
                if column.endswith(".id"):
                    vals[column[:-3]] = int(value) if value not in (None, "", False) else False
                    continue
                orm.check_fields(model, mdef, [name])
                fdef = mdef.fields[name]
                if suffix == "id" and value:
                    full = value if "." in value else f"__import__.{value}"
                    from .models_base import xmlid_to_res_id

                    vals[name] = xmlid_to_res_id(env, full)
                elif fdef.type == "many2one" and isinstance(value, str) and value:
                    found = orm.name_search_ids(env, fdef.relation, value, "=")
                    if not found:
                        raise ValueError(
                            f"No matching record found for name '{value}' in field '{fdef.string}'"
                        )
                    vals[name] = found[0]
                else:
                    vals[name] = value if value != "" else False
            existing = None
            if xmlid:
                module, _, xml_name = xmlid.rpartition(".")
                module = module or "__import__"
                from .models_base import _xmlid_lookup

                existing = _xmlid_lookup(env, module, xml_name)
            if existing is not None and existing["res_id"] in store.tables[model]:
                orm.write_records(env, model, [existing["res_id"]], vals)
                ids.append(existing["res_id"])
            else:
                new_id = orm.create_records(env, model, [vals])[0]
                ids.append(new_id)
                if xmlid:
                    if existing is not None:
                        orm.unlink_records(env.sudo(), "ir.model.data", [existing["id"]])
                    orm.create_records(
                        env.sudo(),
                        "ir.model.data",
                        [{"module": module, "name": xml_name, "model": model, "res_id": new_id}],
                    )
        except Exception as exc:  # load() reports row errors as messages, not exceptions
            messages.append(
                {
                    "type": "error",
                    "message": str(exc),
                    "record": index,
                    "rows": {"from": index, "to": index},
                }
            )
            raise _LoadFailed(messages) from exc
    return {"ids": ids, "messages": messages, "nextrow": 0}


class _LoadFailed(Exception):
    def __init__(self, messages):
        super().__init__(messages[0]["message"])
        self.messages = messages


def load_entry(self: Records, fields, data):
    # one transaction: a failing row rolls back the rows before it, as Odoo's savepoints do
    # for the batch (the caller gets ids False and the messages)
    try:
        with self.env.store.transaction():
            return load(self, fields, data)
    except _LoadFailed as failed:
        return {"ids": False, "messages": failed.messages, "nextrow": 0}


GENERIC_METHODS: dict[str, Method] = {
    "search": Method(search, api_model=True, access="read"),
    "search_count": Method(search_count, api_model=True, access="read"),
    "search_read": Method(search_read, api_model=True, access="read"),
    "read": Method(read, access="read"),
    "create": Method(create, api_model=True, access="create"),
    "write": Method(write, access="write"),
    "unlink": Method(unlink, access="unlink"),
    "fields_get": Method(fields_get, api_model=True, access="read"),
    "name_search": Method(name_search, api_model=True, access="read"),
    "name_get": Method(name_get, access="read"),
    "name_create": Method(name_create, api_model=True, access="create"),
    "default_get": Method(default_get, api_model=True, access="read"),
    "copy": Method(copy, access="create"),
    "exists": Method(exists, access="read"),
    "check_access_rights": Method(check_access_rights, api_model=True, access="none"),
    "read_group": Method(read_group, api_model=True, access="read"),
    "formatted_read_group": Method(formatted_read_group, api_model=True, access="read"),
    "search_fetch": Method(search_fetch, api_model=True, access="read"),
    "has_access": Method(has_access, access="none"),
    "load": Method(load_entry, api_model=True, access="create"),
}
