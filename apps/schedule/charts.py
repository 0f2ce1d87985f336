"""Pure chart builders: rows → plotly figure dicts (rendered by static/js/app.js)."""

from __future__ import annotations

PALETTE = ["#1f5fae", "#c98a00", "#1e7d4f", "#a4262c", "#6b4fbb", "#00838f", "#8a94a3"]


def slip_trend_figure(*, trend: dict, threshold_days: int, version_urls: list[str]) -> dict:
    """Slip in working days per milestone across updates, with the threshold as a dashed line."""
    labels = [update["label"] for update in trend["updates"]]
    data = []
    for index, (task_code, entry) in enumerate(trend["series"].items()):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{task_code} {entry['name']}"[:60],
                "x": labels,
                "y": entry["slips"],
                "customdata": version_urls,
                "line": {"color": PALETTE[index % len(PALETTE)]},
                "hovertemplate": "%{y} working days<extra>" + task_code + "</extra>",
            }
        )
    layout = {
        "margin": {"l": 50, "r": 20, "t": 30, "b": 50},
        "xaxis": {"title": {"text": "Update (data date)"}, "type": "category"},
        "yaxis": {"title": {"text": "Slip vs baseline (working days)"}, "zeroline": True},
        "legend": {"orientation": "h", "y": -0.25},
        "shapes": [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": threshold_days,
                "y1": threshold_days,
                "line": {"color": "#a4262c", "dash": "dash", "width": 1},
            }
        ],
        "annotations": [
            {
                "xref": "paper",
                "x": 1,
                "y": threshold_days,
                "xanchor": "right",
                "yanchor": "bottom",
                "text": f"threshold {threshold_days}",
                "showarrow": False,
                "font": {"color": "#a4262c", "size": 11},
            }
        ],
    }
    return {"data": data, "layout": layout}
