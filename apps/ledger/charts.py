"""Pure figure builders: rows in, plotly figure dict out (rendered by static/js/app.js)."""

from __future__ import annotations

from collections import defaultdict


def lineage_figure(lineage: dict) -> dict:
    """The lineage graph left to right (platform event → hub steps → target writes): one column
    per level, nodes coloured by status; clicking a node opens its transaction."""
    nodes = lineage["nodes"]
    by_level: dict[int, list[dict]] = defaultdict(list)
    for node in nodes:
        by_level[node["level"]].append(node)
    position: dict[int, tuple[float, float]] = {}
    for level, members in by_level.items():
        count = len(members)
        for index, node in enumerate(members):
            position[node["id"]] = (float(level), float((count - 1) / 2 - index))
    edge_x: list = []
    edge_y: list = []
    for edge in lineage["edges"]:
        x0, y0 = position[edge["source"]]
        x1, y1 = position[edge["target"]]
        edge_x += [x0, x1, None]
        edge_y += [y0, y1, None]
    focus = lineage.get("focus_id")
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": edge_x,
            "y": edge_y,
            "hoverinfo": "skip",
            "line": {"color": "#9aa5b1", "width": 1.5},
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": [position[n["id"]][0] for n in nodes],
            "y": [position[n["id"]][1] for n in nodes],
            "text": [f"#{n['id']} {n['system']}<br>{n['domain']}.{n['operation']}" for n in nodes],
            "textposition": "bottom center",
            "hovertext": [
                f"#{n['id']} {n['direction']} {n['system']} {n['domain']}.{n['operation']}"
                f"<br>{n['status_label']} · {n['relation']}<br>{n['received_at'][:19]}"
                for n in nodes
            ],
            "hoverinfo": "text",
            "customdata": [n["url"] for n in nodes],
            "marker": {
                "size": [26 if n["id"] == focus else 18 for n in nodes],
                "color": [n["colour"] for n in nodes],
                "symbol": ["square" if n["direction"] == "outbound" else "circle" for n in nodes],
                "line": {
                    "width": [3 if n["id"] == focus else 1 for n in nodes],
                    "color": "#1b2430",
                },
            },
            "showlegend": False,
        },
    ]
    levels = max(by_level) if by_level else 0
    widest = max((len(m) for m in by_level.values()), default=1)
    return {
        "data": data,
        "layout": {
            "height": max(260, 90 * widest + 80),
            "margin": {"l": 30, "r": 30, "t": 20, "b": 40},
            "xaxis": {
                "visible": True,
                "showgrid": False,
                "zeroline": False,
                "range": [-0.5, levels + 0.5],
                "tickvals": list(range(levels + 1)),
                "ticktext": ["event" if i == 0 else f"step {i}" for i in range(levels + 1)],
            },
            "yaxis": {"visible": False, "range": [-(widest / 2) - 0.5, widest / 2 + 0.5]},
            "plot_bgcolor": "#ffffff",
            "paper_bgcolor": "#ffffff",
            "hovermode": "closest",
        },
    }
