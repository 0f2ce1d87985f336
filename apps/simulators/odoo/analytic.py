"""analytic_distribution: a JSON dict {"<analytic account id>[,<id>...]": percentage} (reference
§3 "Analytic accounting"). Keys are strings; several ids joined by commas (one per plan) share a
percentage; percentages are rounded to 2 decimals like the "Percentage Analytic" precision."""

from __future__ import annotations

import json

from .exceptions import ValidationError


def distribution_account_ids(distribution) -> list[tuple[list[int], float]]:
    """[(account ids of a key, percentage)] of a stored distribution."""
    result = []
    for key, percentage in (distribution or {}).items():
        ids = [int(part) for part in str(key).split(",") if part.strip()]
        result.append((ids, float(percentage or 0.0)))
    return result


def validate_distribution(env, distribution):
    """Check keys name existing analytic accounts and values are percentages; normalise them."""
    if distribution in (False, None, {}):
        return distribution or False
    if isinstance(distribution, str):
        try:
            distribution = json.loads(distribution)
        except ValueError:
            raise ValidationError(
                f"Invalid analytic distribution {distribution!r}: not a JSON object"
            ) from None
    if not isinstance(distribution, dict):
        raise ValidationError(
            f"Invalid analytic distribution {distribution!r}: expected an object "
            '{"<analytic account id>": percentage}'
        )
    accounts = env.store.tables["account.analytic.account"]
    normalised = {}
    for key, percentage in distribution.items():
        parts = str(key).split(",")
        try:
            ids = [int(part) for part in parts]
        except ValueError:
            raise ValidationError(
                f"Invalid analytic distribution key {key!r}: expected analytic account ids"
            ) from None
        missing = [i for i in ids if i not in accounts]
        if missing:
            raise ValidationError(
                f"Invalid analytic distribution: analytic account(s) {missing} do not exist."
            )
        if isinstance(percentage, bool) or not isinstance(percentage, int | float):
            raise ValidationError(
                f"Invalid analytic distribution value {percentage!r} for {key!r}: expected a "
                "percentage"
            )
        normalised[",".join(str(i) for i in ids)] = round(float(percentage), 2)
    return normalised
