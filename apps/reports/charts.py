"""Pure figure builders for the executive reports: report rows in, plotly figure dict out
(rendered by static/js/app.js; a point's customdata URL opens the records behind it)."""

from __future__ import annotations

PALETTE = ["#1f5fae", "#c98a00", "#1e7d4f", "#a4262c", "#6b4fbb", "#00838f", "#8a94a3"]
MARGIN = {"l": 70, "r": 20, "t": 20, "b": 50}


def _count_axis(values, **extra) -> dict:
    """An axis of whole counts: a tick per unit while the counts are small, never 0.5."""
    axis = {"tickformat": ",d", "rangemode": "tozero", **extra}
    if max(values, default=0) <= 10:
        axis["dtick"] = 1
    return axis


def cashflow_figure(*, rows: list[dict], currency: str, month_urls: list[str]) -> dict:
    """The S-curve: cumulative planned, forecast and actual; the slip shift as bars."""
    months = [row["month"] for row in rows]

    def line(name, key, colour, dash="solid"):
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": months,
            "y": [float(row[key]) for row in rows],
            "customdata": month_urls,
            "line": {"color": colour, "dash": dash, "width": 2},
            "hovertemplate": "%{x}: %{y:,.2f} " + currency + "<extra>" + name + "</extra>",
        }

    data = [
        line("Planned (cumulative)", "planned_cum", "#1f5fae"),
        line("Forecast (cumulative)", "forecast_cum", "#c98a00", "dash"),
        line("Actual paid (cumulative)", "actual_cum", "#1e7d4f"),
        {
            "type": "bar",
            "name": "Shift from milestone slips",
            "x": months,
            "y": [float(row["shift_cum"]) for row in rows],
            "customdata": month_urls,
            "marker": {"color": "#a4262c", "opacity": 0.55},
            "hovertemplate": "%{x}: %{y:,.2f} " + currency + "<extra>forecast − planned</extra>",
        },
    ]
    return {
        "data": data,
        "layout": {
            "height": 380,
            "margin": MARGIN,
            "xaxis": {"type": "category", "title": {"text": "Month"}},
            "yaxis": {"title": {"text": f"Cash out ({currency})"}, "zeroline": True},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }


def schedule_health_figure(
    *, sections: list[dict], labels: dict, colours: dict, project_url
) -> dict:
    """Stacked bars per project: milestones on time, at risk, slipped in the latest update."""
    projects = [section["project"].code for section in sections]
    data = [
        {
            "type": "bar",
            "name": label,
            "x": projects,
            "y": [section["counts"][key] for section in sections],
            "marker": {"color": colours[key]},
            "customdata": [project_url(code) for code in projects],
        }
        for key, label in labels.items()
    ]
    return {
        "data": data,
        "layout": {
            "barmode": "stack",
            "height": 300,
            "margin": MARGIN,
            "yaxis": _count_axis(
                [sum(section["counts"].values()) for section in sections],
                title={"text": "Milestones"},
            ),
            "legend": {"orientation": "h", "y": -0.2},
        },
    }


def slip_trend_figure(*, trends: list[dict], version_url) -> dict:
    """Slip vs baseline per milestone across updates (x: data date), every project together."""
    data = []
    index = 0
    for entry in trends:
        project = entry["project"].code
        updates = entry["trend"]["updates"]
        x = [u["data_date"] or u["label"] for u in updates]
        urls = [version_url(u["id"]) for u in updates]
        for task_code, series in entry["trend"]["series"].items():
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{project} {task_code} {series['name']}"[:60],
                    "x": x,
                    "y": series["slips"],
                    "customdata": urls,
                    "line": {"color": PALETTE[index % len(PALETTE)]},
                    "hovertemplate": "%{y} working days<extra>" + task_code + "</extra>",
                }
            )
            index += 1
    return {
        "data": data,
        "layout": {
            "height": 340,
            "margin": MARGIN,
            "xaxis": {"title": {"text": "Update (data date)"}},
            "yaxis": {"title": {"text": "Slip vs baseline (working days)"}, "zeroline": True},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }


def document_status_figure(*, rows: list[dict], age_labels: list[str], list_url) -> dict:
    """Stacked bars per kind and status, one colour per age bucket of the current status."""
    categories = [f"{row['kind']}: {row['status']}" for row in rows]
    colours = ["#1e7d4f", "#1f5fae", "#c98a00", "#a4262c"]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": label,
                "y": categories,
                "x": [row["cells"][index] for row in rows],
                "customdata": [list_url(row) for row in rows],
                "marker": {"color": colours[index % len(colours)]},
            }
            for index, label in enumerate(age_labels)
        ],
        "layout": {
            "barmode": "stack",
            "height": max(360, 140 + 36 * len(rows)),
            "margin": {"l": 260, "r": 20, "t": 40, "b": 40},
            "xaxis": _count_axis([row["total"] for row in rows]),
            "yaxis": {"autorange": "reversed"},
            # Legend above the bars: below, it collides with the axis labels.
            "legend": {
                "orientation": "h",
                "x": 0,
                "y": 1.02,
                "yanchor": "bottom",
                "title": {"text": "Age of status"},
                "traceorder": "normal",
            },
        },
    }


def pipeline_figure(*, rows: list[dict], currency: str, stage_urls: dict) -> dict:
    """Funnel of counts per stage, with how many wait at each stage alongside."""
    mine = [row for row in rows if row["currency"] == currency]
    stages = [row["stage"] for row in mine]
    urls = [stage_urls.get(row["stage_key"], "") for row in mine]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "Count",
                "y": stages,
                "x": [row["count"] for row in mine],
                "customdata": urls,
                "marker": {"color": "#1f5fae"},
            },
            {
                "type": "bar",
                "orientation": "h",
                "name": "Waiting",
                "y": stages,
                "x": [row["waiting"] for row in mine],
                "customdata": urls,
                "marker": {"color": "#a4262c"},
            },
        ],
        "layout": {
            "barmode": "group",
            "height": 340,
            "margin": {"l": 220, "r": 20, "t": 20, "b": 40},
            "yaxis": {"autorange": "reversed"},
            "xaxis": _count_axis(
                [row["count"] for row in mine], title={"text": f"Records ({currency})"}
            ),
            "legend": {"orientation": "h", "y": -0.15},
        },
    }
