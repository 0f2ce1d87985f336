"""Pure: earned-value rows → a plotly figure (budget, EV, actual and EAC per cost code)."""

from __future__ import annotations


def earned_value_figure(rows: list) -> dict:
    labels = [f"{row.cost_code} {row.phase}".strip() for row in rows]

    def series(name: str, values: list, colour: str) -> dict:
        return {
            "type": "bar",
            "name": name,
            "x": labels,
            "y": [float(value) if value is not None else None for value in values],
            "marker": {"color": colour},
        }

    return {
        "data": [
            series("Budget (BAC)", [r.budget for r in rows], "#94a3b8"),
            series("Earned value", [r.earned_value for r in rows], "#16a34a"),
            series("Actual cost", [r.actual for r in rows], "#2563eb"),
            series("Estimate at completion", [r.estimate_at_completion for r in rows], "#dc2626"),
        ],
        "layout": {
            "barmode": "group",
            "height": 360,
            "margin": {"l": 60, "r": 10, "t": 10, "b": 90},
            "legend": {"orientation": "h"},
        },
    }
