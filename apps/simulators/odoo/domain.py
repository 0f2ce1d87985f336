"""Odoo domains compiled into Python predicates over raw records.

Prefix notation with '&' (the implicit default between terms), '|' and '!'; the term operators
of odoo/osv/expression.py (reference §2.3); dotted paths through relations are rewritten as
`any` sub-domains like Odoo 17 does. SQL NULL semantics are kept: comparisons with an unset value
are false, and the negative operators (!=, not in, not like, not ilike) also match unset values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .orm import Env

TERM_OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<=",
        "<",
        ">",
        ">=",
        "=?",
        "=like",
        "=ilike",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "in",
        "not in",
        "child_of",
        "parent_of",
        "any",
        "not any",
    }
)
NEGATIVE_OPERATORS = frozenset({"!=", "not in", "not like", "not ilike"})
TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)

Predicate = Callable[[dict], bool]


def _always(_rec) -> bool:
    return True


def _never(_rec) -> bool:
    return False


@lru_cache(maxsize=512)
def like_regex(pattern: str, case_insensitive: bool) -> re.Pattern:
    """SQL LIKE pattern (% and _ wildcards, backslash escapes) as an anchored regex."""
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if case_insensitive else 0)
    return re.compile("^" + "".join(out) + "$", flags)


def normalize_leaf_value(ftype: str, value: Any) -> Any:
    """Bring a domain value to the raw storage form of the field type."""
    if value is None:
        return False
    if ftype == "datetime" and isinstance(value, str) and value:
        value = value.replace("T", " ")[:19]
        if len(value) == 10:
            value += " 00:00:00"
    elif ftype == "date" and isinstance(value, str) and value:
        value = value[:10]
    return value


def _is_null(value) -> bool:
    return value is False or value is None


def parse_domain(domain) -> Any:
    """Domain list -> tree of ('&'|'|', a, b), ('!', a) and leaf tuples."""
    if domain is None or domain is False:
        return TRUE_LEAF
    if not isinstance(domain, list | tuple):
        raise ValueError(f"Invalid domain: {domain!r}")
    items = list(domain)
    position = 0

    def parse_one():
        nonlocal position
        if position >= len(items):
            raise ValueError(f"Invalid domain (missing operand): {domain!r}")
        token = items[position]
        position += 1
        if token in ("&", "|"):
            left = parse_one()
            right = parse_one()
            return (token, left, right)
        if token == "!":
            return ("!", parse_one())
        if isinstance(token, list | tuple) and len(token) == 3:
            return tuple(token)
        raise ValueError(f"Invalid leaf {token!r}")

    nodes = []
    while position < len(items):
        nodes.append(parse_one())
    if not nodes:
        return TRUE_LEAF
    tree = nodes[-1]
    for node in reversed(nodes[:-1]):
        tree = ("&", node, tree)
    return tree


def domain_mentions(tree, field_name: str) -> bool:
    if isinstance(tree, tuple) and tree and tree[0] in ("&", "|"):
        return domain_mentions(tree[1], field_name) or domain_mentions(tree[2], field_name)
    if isinstance(tree, tuple) and tree and tree[0] == "!":
        return domain_mentions(tree[1], field_name)
    return (
        isinstance(tree, tuple)
        and isinstance(tree[0], str)
        and (tree[0] == field_name or tree[0].startswith(field_name + "."))
    )


def compile_domain(env: Env, model: str, tree) -> Predicate:
    """Compile a tree from parse_domain() into a predicate over raw records of `model`."""
    return _compile(env, model, tree)


def _compile(env: Env, model: str, node) -> Predicate:
    if node and node[0] in ("&", "|") and len(node) == 3 and not isinstance(node[1], str):
        left = _compile(env, model, node[1])
        right = _compile(env, model, node[2])
        if node[0] == "&":
            return lambda rec: left(rec) and right(rec)
        return lambda rec: left(rec) or right(rec)
    if node and node[0] == "!" and len(node) == 2:
        inner = _compile(env, model, node[1])
        return lambda rec: not inner(rec)
    return _compile_leaf(env, model, node)


def _compile_leaf(env: Env, model: str, leaf) -> Predicate:
    from .orm import get_value  # local import: orm imports this module

    if tuple(leaf) == TRUE_LEAF:
        return _always
    if tuple(leaf) == FALSE_LEAF:
        return _never
    path, operator, value = leaf
    if not isinstance(path, str):
        raise ValueError(f"Invalid leaf {list(leaf)!r}")
    operator = operator.lower() if isinstance(operator, str) else operator
    if operator == "<>":
        operator = "!="
    if operator not in TERM_OPERATORS:
        raise ValueError(f"Invalid leaf {list(leaf)!r}")
    mdef = env.registry[model]
    fname, _, rest = path.partition(".")
    if fname == "id":
        fdef = None
    else:
        fdef = mdef.fields.get(fname)
        if fdef is None:
            raise ValueError(f"Invalid field {model}.{fname} in leaf {list(leaf)!r}")
    if rest:
        if fdef is None or not fdef.is_relational:
            raise ValueError(f"Invalid field {model}.{path} in leaf {list(leaf)!r}")
        return _compile_leaf(env, model, (fname, "any", [(rest, operator, value)]))

    if fdef is None and operator in ("child_of", "parent_of"):
        closure = _hierarchy(env, model, _related_ids(env, model, value), operator)
        return lambda rec: rec["id"] in closure
    if fdef is None:  # the id pseudo-field
        return _scalar_predicate(lambda rec: rec["id"], "integer", operator, value)
    getter = _getter(env, model, fname, get_value)
    if fdef.type == "many2one":
        return _many2one_predicate(env, fdef, getter, operator, value)
    if fdef.is_x2many:
        return _x2many_predicate(env, fdef, getter, operator, value)
    return _scalar_predicate(getter, fdef.type, operator, normalize_value(fdef.type, value))


def normalize_value(ftype, value):
    if isinstance(value, list | tuple):
        return [normalize_leaf_value(ftype, v) for v in value]
    return normalize_leaf_value(ftype, value)


def _getter(env, model, fname, get_value):
    fdef = env.registry[model].fields[fname]
    if fdef.compute is None and fdef.inherited_from is None and fdef.type != "one2many":
        return lambda rec: rec.get(fname, False)
    return lambda rec: get_value(env, model, rec, fname)


def _scalar_predicate(getter, ftype, operator, value) -> Predicate:
    if operator == "=?":
        if _is_null(value):
            return _always
        operator = "="
    if operator == "=":
        if _is_null(value):
            if ftype == "boolean":
                return lambda rec: not getter(rec)
            return lambda rec: _is_null(getter(rec))
        if ftype == "boolean":
            expected = bool(value)
            return lambda rec: bool(getter(rec)) == expected
        if ftype in ("float", "monetary"):
            return lambda rec: not _is_null(getter(rec)) and float(getter(rec)) == float(value)
        return lambda rec: getter(rec) == value
    if operator == "!=":
        if _is_null(value):
            if ftype == "boolean":
                return lambda rec: bool(getter(rec))
            return lambda rec: not _is_null(getter(rec))
        if ftype == "boolean":
            expected = bool(value)
            return lambda rec: bool(getter(rec)) != expected
        return lambda rec: getter(rec) != value
    if operator in ("in", "not in"):
        if not isinstance(value, list | tuple | set):
            value = [value]
        wanted = set(v for v in value if not _is_null(v))
        with_null = any(_is_null(v) for v in value)
        if ftype == "boolean":
            wanted_bools = {bool(v) for v in value}

            def bool_in(rec):
                return bool(getter(rec)) in wanted_bools

            return bool_in if operator == "in" else (lambda rec: not bool_in(rec))
        if operator == "in":
            return lambda rec: (getter(rec) in wanted) or (with_null and _is_null(getter(rec)))
        return lambda rec: (
            (_is_null(getter(rec)) and not with_null)
            or (not _is_null(getter(rec)) and getter(rec) not in wanted)
        )
    if operator in ("<", "<=", ">", ">="):
        compare = {
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }[operator]
        if _is_null(value):
            return _never

        numeric = ftype in ("integer", "float", "monetary")

        def ordered(rec):
            current = getter(rec)
            if _is_null(current):
                if not numeric:
                    return False  # NULL compares false in SQL
                current = 0  # numbers read back as 0 when unset
            try:
                return compare(current, value)
            except TypeError:
                return False

        return ordered
    if operator in ("like", "ilike", "not like", "not ilike", "=like", "=ilike"):
        if operator in ("=like", "=ilike"):
            pattern = "" if _is_null(value) else str(value)
        else:
            pattern = f"%{'' if _is_null(value) else value}%"
        regex = like_regex(pattern, operator in ("ilike", "not ilike", "=ilike"))
        if operator.startswith("not"):
            return lambda rec: _is_null(getter(rec)) or not regex.match(str(getter(rec)))
        return lambda rec: not _is_null(getter(rec)) and bool(regex.match(str(getter(rec))))
    raise ValueError(f"Operator {operator!r} is not supported on a {ftype} field")


def _many2one_predicate(env: Env, fdef, getter, operator, value) -> Predicate:
    from .orm import display_name, search_ids

    comodel = fdef.relation
    if operator in ("any", "not any"):
        matching = set(search_ids(env, comodel, value, active_test=False))
        if operator == "any":
            return lambda rec: getter(rec) in matching
        return lambda rec: getter(rec) not in matching
    if operator in ("child_of", "parent_of"):
        ids = _related_ids(env, comodel, value)
        closure = _hierarchy(env, comodel, ids, operator)
        return lambda rec: getter(rec) in closure
    text_value = isinstance(value, str) or (
        isinstance(value, list | tuple) and any(isinstance(v, str) for v in value)
    )
    if text_value and operator not in ("<", "<=", ">", ">="):
        # Odoo resolves names through name_search on the comodel: ('partner_id', 'ilike', 'Acme')
        def name_of(rec):
            related = getter(rec)
            return display_name(env, comodel, related) if related else False

        if operator in ("=", "!=", "in", "not in"):
            return _scalar_predicate(name_of, "char", operator, value)
        return _scalar_predicate(name_of, "char", operator, value)
    if isinstance(value, list | tuple) and operator in ("=", "!="):
        operator = "in" if operator == "=" else "not in"
    return _scalar_predicate(getter, "integer", operator, value)


def _x2many_predicate(env: Env, fdef, getter, operator, value) -> Predicate:
    from .orm import display_name, search_ids

    comodel = fdef.relation
    if operator in ("any", "not any"):
        matching = set(search_ids(env, comodel, value, active_test=False))
        if operator == "any":
            return lambda rec: any(i in matching for i in getter(rec))
        return lambda rec: not any(i in matching for i in getter(rec))
    if operator in ("=", "!=") and _is_null(value):
        if operator == "=":
            return lambda rec: not getter(rec)
        return lambda rec: bool(getter(rec))
    if isinstance(value, str) or (
        isinstance(value, list | tuple) and any(isinstance(v, str) for v in value)
    ):
        single = _scalar_predicate(lambda name: name, "char", operator, value)
        positive = operator not in NEGATIVE_OPERATORS
        if positive:
            return lambda rec: any(single(display_name(env, comodel, i)) for i in getter(rec))
        return lambda rec: all(single(display_name(env, comodel, i)) for i in getter(rec))
    if operator in ("=", "in"):
        wanted = set(value) if isinstance(value, list | tuple) else {value}
        return lambda rec: any(i in wanted for i in getter(rec))
    if operator in ("!=", "not in"):
        unwanted = set(value) if isinstance(value, list | tuple) else {value}
        return lambda rec: not any(i in unwanted for i in getter(rec))
    if operator in ("child_of", "parent_of"):
        closure = _hierarchy(env, comodel, _related_ids(env, comodel, value), operator)
        return lambda rec: any(i in closure for i in getter(rec))
    raise ValueError(f"Operator {operator!r} is not supported on a {fdef.type} field")


def _related_ids(env: Env, comodel: str, value) -> list[int]:
    from .orm import name_search_ids

    values = value if isinstance(value, list | tuple) else [value]
    ids: list[int] = []
    for item in values:
        if isinstance(item, str):
            ids.extend(name_search_ids(env, comodel, item, "="))
        elif item:
            ids.append(int(item))
    return ids


def _hierarchy(env: Env, model: str, ids, operator) -> set[int]:
    parent_name = env.registry[model].parent_name
    result = set(ids)
    if not parent_name:
        return result
    table = env.store.tables[model]
    if operator == "child_of":
        frontier = set(ids)
        for _ in range(100):  # bounded: a cyclic hierarchy must not hang the server
            children = {rid for rid, rec in table.items() if rec.get(parent_name) in frontier}
            children -= result
            if not children:
                break
            result |= children
            frontier = children
    else:
        for rid in list(ids):
            current = table.get(rid)
            for _ in range(100):
                if not current or not current.get(parent_name):
                    break
                result.add(current[parent_name])
                current = table.get(current[parent_name])
    return result
