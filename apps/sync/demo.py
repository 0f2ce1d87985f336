"""Demo configuration of the sync engine (idempotent): routes between the demo systems and a few
mappings, so events from the platform emitter flow on to Odoo in `make demo`."""

from __future__ import annotations

from apps.connectors.models import System
from apps.projects.models import Project
from apps.sync.models import Mapping, SyncPolicy
from apps.sync.services import mapping_save, sor_rules_seed, sync_policy_save

# (domain, source, target, mode, interval minutes)
DEMO_POLICIES = [
    ("cost_code", "estimating", "odoo", "event", None),
    ("budget_line", "estimating", "odoo", "event", None),
    ("project", "odoo", "p6", "event", None),
    ("milestone", "p6", "odoo", "event", None),
    ("receipt", "field", "odoo", "event", None),
    ("vendor", "odoo", "procore", "interval", 60),
]

# (kind, system, external value, canonical value, label)
DEMO_MAPPINGS = [
    ("cost_code", "p6", "03-300", "03 30 00", "Cast-in-place concrete"),
    ("cost_code", "p6", "03-200", "03 20 00", "Concrete reinforcing"),
    ("cost_code", "field", "CONC", "03 30 00", "Concrete"),
    ("unit", "field", "M3", "m3", "cubic metre"),
    ("project", "p6", "RIVERSIDE", "SCH-001", "Riverside Primary (P6 project id)"),
]


def seed(stdout) -> None:
    sor_rules_seed()
    systems = {s.code: s for s in System.objects.all()}
    created = 0
    for domain, source, target, mode, minutes in DEMO_POLICIES:
        if source not in systems or target not in systems:
            continue
        exists = SyncPolicy.objects.filter(
            domain=domain,
            source_system=systems[source],
            target_system=systems[target],
            project__isnull=True,
        ).exists()
        if exists:
            continue
        sync_policy_save(
            actor=None,
            domain=domain,
            source_system=systems[source],
            target_system=systems[target],
            mode=mode,
            interval_minutes=minutes,
            note="demo",
        )
        created += 1
    projects = set(Project.objects.values_list("code", flat=True))
    for kind, system_code, external, canonical, label in DEMO_MAPPINGS:
        system = systems.get(system_code)
        if system is None or (kind == "project" and canonical not in projects):
            continue
        if Mapping.objects.filter(
            kind=kind, system=system, external_value=external, active=True
        ).exists():
            continue
        mapping_save(
            actor=None,
            kind=kind,
            system=system,
            external_value=external,
            canonical_value=canonical,
            external_label=label,
            note="demo",
        )
    stdout.write(f"  sync: {created} new polic(ies), {len(DEMO_MAPPINGS)} demo mappings checked")
