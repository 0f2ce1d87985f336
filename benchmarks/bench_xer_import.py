"""XER import speed and memory: a synthetic 4,000-activity, ~3 MB P6 export imported in a child
process; reports seconds and peak RSS (goal: ≤ 5 s, ≤ 300 MB).

The file is built from the real percent-complete-8.4.xer (tests/fixtures/schedules): its header,
CURRTYPE/OBS/PROJECT/CALENDAR tables and exact column layouts are kept; PROJWBS gets a
three-level tree, TASK 4,000 rows (copies of the real row with new ids, codes, names in cp1252,
types with ~5% milestones, statuses and dates spread over two years) and TASKPRED finish-to-start
links, until the file is about 3 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tests" / "fixtures" / "schedules" / "percent-complete-8.4.xer"
TARGET_BYTES = 3_000_000
PREDECESSOR_FIELDS = [
    "task_pred_id",
    "task_id",
    "pred_task_id",
    "proj_id",
    "pred_proj_id",
    "pred_type",
    "lag_hr_cnt",
    "comments",
    "float_path",
    "aref",
    "arls",
]
TRADES = ["Béton", "Façade", "Tragwerk", "Électricité", "Plumbing", "Drywall", "Roofing", "Site"]


def synthetic_xer(activities: int = 4000, target_bytes: int = TARGET_BYTES) -> bytes:
    """A realistic XER with `activities` TASK rows, padded with TASKPRED rows to ~target_bytes."""
    lines = TEMPLATE.read_bytes().decode("cp1252").split("\n")
    out: list[str] = []
    table, fields = "", []
    task_fields: list[str] = []
    task_template: list[str] = []
    wbs_fields: list[str] = []
    wbs_template: list[str] = []
    for line in lines:
        parts = line.split("\t")
        if parts[0] == "%T":
            table = parts[1]
        elif parts[0] == "%F":
            fields = parts[1:]
            if table == "TASK":
                task_fields = fields
            if table == "PROJWBS":
                wbs_fields = fields
        elif parts[0] == "%R" and table == "TASK":
            task_template = task_template or parts[1:]
            continue  # replaced by the synthetic rows
        elif parts[0] == "%R" and table == "PROJWBS":
            wbs_template = parts[1:]
        elif parts[0] == "%E":
            break
        out.append(line)
        if parts[0] == "%R" and table == "PROJWBS":
            out.extend(_wbs_rows(wbs_fields, wbs_template))
    task_header_at = out.index("%T\tTASK")
    body = out[: task_header_at + 2]  # up to and including TASK's %F
    body.extend(_task_rows(task_fields, task_template, activities))
    text = "\n".join(body) + "\n"
    size = len(text.encode("cp1252"))
    preds = ["%T\tTASKPRED", "\t".join(["%F", *PREDECESSOR_FIELDS])]
    link = 0
    while size < target_bytes - 20 and link < activities * 20:
        successor = 200000 + (link % (activities - 1)) + 1
        row = "\t".join(
            [
                "%R",
                str(900000 + link),
                str(successor),
                str(successor - 1 - (link // activities) % 3),
                "4507",
                "4507",
                ["PR_FS", "PR_SS", "PR_FF"][link % 3],
                str((link % 5) * 8),
                "",
                "",
                "2015-02-24 00:00",
                "2015-02-24 00:00",
            ]
        )
        preds.append(row)
        size += len(row) + 1
        link += 1
    return (text + "\n".join(preds) + "\n%E\n").encode("cp1252")


def _wbs_rows(fields: list[str], template: list[str]) -> list[str]:
    rows = []
    for area in range(1, 11):
        for trade in range(1, 11):
            for level, (wbs_id, parent, code) in enumerate(
                [
                    (f"3{area:02d}00", "26010", f"A{area}"),
                    (f"3{area:02d}{trade:02d}", f"3{area:02d}00", f"T{trade}"),
                ]
            ):
                if level == 0 and trade > 1:
                    continue
                values = dict(zip(fields, template, strict=False))
                values.update(
                    {
                        "wbs_id": wbs_id,
                        "parent_wbs_id": parent,
                        "wbs_short_name": code,
                        "wbs_name": f"{TRADES[trade % len(TRADES)]} area {area}",
                        "proj_node_flag": "N",
                        "guid": "",
                    }
                )
                rows.append("\t".join(["%R", *[values.get(f, "") for f in fields]]))
    return rows


def _task_rows(fields: list[str], template: list[str], count: int) -> list[str]:
    start = datetime(2024, 1, 8, 8, 0)
    rows = []
    for index in range(count):
        values = dict(zip(fields, template, strict=False))
        is_milestone = index % 20 == 0
        task_type = ("TT_FinMile" if index % 40 == 0 else "TT_Mile") if is_milestone else "TT_Task"
        begin = start + timedelta(days=(index * 173) % 700)
        end = begin if is_milestone else begin + timedelta(days=5 + index % 30, hours=8)
        status = ["TK_Complete", "TK_Active", "TK_NotStart", "TK_NotStart"][index % 4]
        stamp = "%Y-%m-%d %H:%M"
        area, trade = 1 + index % 10, 1 + (index // 10) % 10
        values.update(
            {
                "task_id": str(200000 + index),
                "wbs_id": f"3{area:02d}{trade:02d}",
                "task_code": f"A{10000 + index * 10}",
                "task_name": f"{TRADES[index % len(TRADES)]} – lot {index} niveau {index % 7}",
                "task_type": task_type,
                "status_code": status,
                "target_start_date": begin.strftime(stamp),
                "target_end_date": end.strftime(stamp),
                "early_start_date": begin.strftime(stamp),
                "early_end_date": end.strftime(stamp),
                "late_start_date": (begin + timedelta(days=index % 9)).strftime(stamp),
                "late_end_date": (end + timedelta(days=index % 9)).strftime(stamp),
                "act_start_date": begin.strftime(stamp) if status != "TK_NotStart" else "",
                "act_end_date": end.strftime(stamp) if status == "TK_Complete" else "",
                "total_float_hr_cnt": str((index % 9) * 8),
                "remain_drtn_hr_cnt": str(0 if status == "TK_Complete" else 40),
                "target_drtn_hr_cnt": "0" if is_milestone else "80",
                "guid": f"bench{index:08d}AAAAAAAAAAAAA",
            }
        )
        rows.append("\t".join(["%R", *[values.get(f, "") for f in fields]]))
    return rows


CHILD = r"""
import json, os, sys, time, resource
import django
django.setup()
from apps.projects.models import Project
from apps.schedule.services import schedule_import_file

def vm_hwm_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

path = sys.argv[1]
code = "BENCH-XER-%d" % os.getpid()
project = Project.objects.create(code=code, name="XER import benchmark")
before = vm_hwm_mb()
with open(path, "rb") as handle:
    data = handle.read()
started = time.perf_counter()
version = schedule_import_file(
    project=project, file_bytes=data, file_name="bench.xer", kind="baseline"
)
seconds = time.perf_counter() - started
peak = vm_hwm_mb()
result = {
    "seconds": seconds,
    "peak_rss_mb": peak,
    "rss_before_mb": before,
    "activities": version.counts["activities"],
    "refused": version.counts["refused"],
    "rows": sum(version.counts["tables"].values()),
}
version.delete()
project.delete()
print("RESULT " + json.dumps(result))
"""


def run(args) -> list[dict]:
    activities = 400 if getattr(args, "quick", False) else 4000
    target = 300_000 if getattr(args, "quick", False) else TARGET_BYTES
    data = synthetic_xer(activities=activities, target_bytes=target)
    with tempfile.NamedTemporaryFile(suffix=".xer", delete=False) as handle:
        handle.write(data)
        path = handle.name
    try:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "integrationhub.settings"}
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-c", CHILD, path],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        wall = time.perf_counter() - started
    finally:
        os.unlink(path)
    line = next((row for row in completed.stdout.splitlines() if row.startswith("RESULT ")), None)
    if line is None:
        tail = (completed.stderr or completed.stdout)[-300:]
        return [{"figure": "error", "value": tail.replace("\n", " "), "unit": ""}]
    result = json.loads(line[len("RESULT ") :])
    size_mb = len(data) / 1_000_000
    return [
        {
            "figure": "file size",
            "value": round(size_mb, 2),
            "unit": "MB",
            "note": f"{activities} activities",
        },
        {
            "figure": "XER import time",
            "value": round(result["seconds"], 2),
            "unit": "s",
            "goal": "≤ 5" if not getattr(args, "quick", False) else "",
            "note": f"{result['rows']:,} rows, {result['refused']} refused",
        },
        {
            "figure": "activities per second",
            "value": round(result["activities"] / result["seconds"]),
            "unit": "/s",
        },
        {
            "figure": "peak RSS of the importing process",
            "value": round(result["peak_rss_mb"], 1),
            "unit": "MB",
            "goal": "≤ 300",
            "note": f"{result['rss_before_mb']:.0f} MB before the import (Django loaded)",
        },
        {"figure": "child process wall time", "value": round(wall, 2), "unit": "s"},
    ]
