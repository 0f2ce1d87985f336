"""Run the benchmark suite and print a table: `python -m benchmarks [--only NAME] [--quick]`.

Benchmarks run against PostgreSQL (DATABASE_URL, default a scratch database on 127.0.0.1) and
the project's own simulators on loopback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path

import django


def _setup_django() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ihub_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrationhub.settings")
    os.environ.setdefault("READYZ_REQUIRE_WORKER", "false")
    django.setup()


def _ensure_database() -> None:
    """Create the benchmark database if missing and migrate it."""
    from django.core.management import call_command
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception:
        import psycopg

        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            user=settings["USER"] or "postgres",
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    call_command("migrate", verbosity=0, interactive=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", default=[], help="run only these benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller volumes, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

    _setup_django()
    _ensure_database()

    package_dir = Path(__file__).parent
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(package_dir)]) if m.name.startswith("bench_")
    )
    if args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    rows: list[dict] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"--- {name} ---", flush=True)
        started = time.monotonic()
        try:
            module_rows = module.run(args)
        except Exception as exc:  # a broken benchmark is reported, the others still run
            module_rows = [{"benchmark": name, "figure": "error", "value": repr(exc), "unit": ""}]
        for row in module_rows:
            row.setdefault("benchmark", name)
        rows.extend(module_rows)
        print(f"    ({time.monotonic() - started:.1f}s)", flush=True)

    print()
    header = f"{'benchmark':28} {'figure':44} {'value':>14} {'unit':10} {'goal':>12}  note"
    print(header)
    print("-" * len(header))
    for row in rows:
        value = row["value"]
        value_text = f"{value:,.1f}" if isinstance(value, float) else f"{value}"
        print(
            f"{row['benchmark'][:28]:28} {row['figure'][:44]:44} {value_text:>14} "
            f"{row.get('unit', ''):10} {str(row.get('goal', '')):>12}  {row.get('note', '')}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
