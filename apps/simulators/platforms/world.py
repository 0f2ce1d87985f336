"""The simulated platforms' state and the deliveries they send.

One `PlatformWorld` holds what the platforms know: Procore submittals, drawings and change
events; ACC documents and their versions; estimating budgets; P6 milestones; field activity.
The emitter asks it for the next delivery of a family (scheduling, documents, estimating,
field) and a category (good, or a kind of bad data the world can produce: unknown project,
unmapped cost code, out-of-order update); the follow-up GET server reads the same state, so a
delivery's resource is there when the hub asks for it. Everything random comes from one
`random.Random(seed)`, so a seed replays the same traffic.

Platform project ids are derived from the hub project code (not from the seed), so the demo's
project-reference mappings stay valid across runs: see `platform_project_refs`.
"""

from __future__ import annotations

import hashlib
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from apps.simulators.platforms.payloads import (
    acc_envelope,
    iso_z,
    procore_delivery,
    standard_payload,
    ulid,
)

FAMILIES = ("scheduling", "documents", "estimating", "field")
# Which hub system code receives each platform's deliveries (demo systems, apps/connectors/demo.py).
SYSTEM_CODES = {
    "p6": "p6",
    "procore": "procore",
    "acc": "acc",
    "estimating": "estimating",
    "field": "field",
}
FAMILY_SYSTEMS = {
    "scheduling": ("p6",),
    "documents": ("procore", "acc"),
    "estimating": ("estimating",),
    "field": ("field",),
}

DEMO_PROJECTS = [
    ("SCH-001", "Riverside Primary School"),
    ("HOS-002", "St. Mary's Hospital — East Wing"),
    ("BRG-003", "Harbour Bridge Rehabilitation"),
]
# MasterFormat-style codes (the hub's demo cost-code structure uses the same style).
DEFAULT_COST_CODES = [
    ("03 30 00", "Cast-in-Place Concrete"),
    ("03 20 00", "Concrete Reinforcing"),
    ("05 12 00", "Structural Steel Framing"),
    ("07 21 00", "Thermal Insulation"),
    ("08 11 13", "Hollow Metal Doors and Frames"),
    ("09 29 00", "Gypsum Board"),
    ("09 91 00", "Painting"),
    ("22 11 16", "Domestic Water Piping"),
    ("26 05 19", "Low-Voltage Electrical Power Conductors and Cables"),
    ("31 23 16", "Excavation"),
]
# Codes a platform uses that nobody mapped: an estimator's own code, a field app's shorthand.
UNMAPPED_COST_CODES = ["E-0331-CONC", "X-9910", "LAB-OT-2", "99 99 01", "CC.07.210"]
DEFAULT_PHASES = ["Enabling works", "Substructure", "Superstructure", "Envelope", "Fit-out"]
MILESTONES = [
    ("MS1000", "Site possession"),
    ("MS1100", "Substructure complete"),
    ("MS1200", "Frame complete"),
    ("MS1300", "Building watertight"),
    ("MS1400", "Practical completion"),
]
SUBMITTAL_TOPICS = [
    ("03 30 00", "Concrete mix design", "Product Data"),
    ("03 20 00", "Reinforcement shop drawings", "Shop Drawings"),
    ("05 12 00", "Steel connection design", "Shop Drawings"),
    ("07 21 00", "Insulation product data", "Product Data"),
    ("08 11 13", "Door hardware schedule", "Product Data"),
    ("09 91 00", "Paint colour samples", "Samples"),
    ("22 11 16", "Pipework insulation data", "Product Data"),
    ("26 05 19", "Cable schedule", "Shop Drawings"),
]
DRAWING_SHEETS = [
    ("A-101", "Ground floor plan", "Architectural"),
    ("A-102", "First floor plan", "Architectural"),
    ("A-201", "Elevations", "Architectural"),
    ("S-101", "Foundation layout", "Structural"),
    ("S-201", "Level 1 framing plan", "Structural"),
    ("M-301", "Ventilation layout", "Mechanical"),
    ("E-401", "Small power layout", "Electrical"),
]
# Submittal responses as reviewers return them (the hub maps them through a response table).
RESPONSES = [
    ("Approved", 30),
    ("Approved as Noted", 20),
    ("AAN", 4),
    ("Revise and Resubmit", 14),
    ("R&R", 4),
    ("Rejected", 8),
    ("No Exceptions Taken", 8),
    ("Reviewed", 4),
]
# ISO 19650 revision path of a drawing/document and the suitability codes per step.
REVISION_PATH = [
    ("P01.01", ("S0",)),
    ("P01", ("S1", "S2", "S3")),
    ("P02.01", ("S0",)),
    ("P02", ("S3", "S4")),
    ("C01", ("A1", "A2", "A3", "A4")),
    ("C02", ("A4", "A5")),
]
PROCORE_VERSIONS = ("v2.0", "v3.0", "v4.0")


def platform_project_refs(code: str) -> dict[str, str]:
    """The simulated platforms' own ids for a hub project: Procore's numeric id, ACC's GUID."""
    digest = hashlib.sha256(code.encode()).hexdigest()
    procore_id = 1_000_000_000 + int(digest[:8], 16) % 8_000_000_000
    acc_guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"acc-project:{code}"))
    return {"procore": str(procore_id), "acc": acc_guid}


@dataclass
class SimProject:
    code: str
    name: str
    procore_id: int
    acc_guid: str
    known: bool = True  # False: a project the hub has never heard of (bad data)


@dataclass
class Delivery:
    """One delivery to the hub, before signing (the emitter signs and sends it)."""

    seq: int
    family: str
    platform: str  # p6 | procore | acc | estimating | field
    system_code: str
    event: str  # a readable label: "procore v3.0 Submittals update"
    body: bytes
    scheme: str  # "standard" (Standard Webhooks) or "adsk" (x-adsk-signature)
    category: str = "good"
    message_id: str = ""  # webhook-id or x-adsk-delivery-id: stable across a resend
    subject: str = ""
    source_time: datetime | None = None
    original_seq: int | None = None  # for a duplicate: the delivery it repeats
    expect: str = "accepted"  # accepted (202) | duplicate (200) | refused (4xx)
    note: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class PlatformWorld:
    """The state of every simulated platform, shared by the emitter and the GET server."""

    def __init__(
        self,
        *,
        seed: int = 1,
        projects: list[tuple[str, str]] | None = None,
        cost_codes: list[str] | None = None,
        phases: dict[str, list[str]] | None = None,
        commitments: dict[str, list[str]] | None = None,
        now=None,
        run_tag: str = "r0",
        id_base: int = 0,
    ):
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self._now = now or (lambda: datetime.now(UTC))
        self._last_time = datetime(2000, 1, 1, tzinfo=UTC)
        self.seq = 0
        # A run tag and id base keep ids unique across emitter runs (the hub dedupes on them:
        # a restarted demo must not replay the previous run's ids as duplicates); pass fixed
        # values to reproduce a run byte for byte.
        self.run_tag = run_tag
        self._ids = {"procore": 50_000 + id_base, "delivery": 900_000_000 + id_base, "acc": id_base}
        self.company_id = 1_357_908_642
        self.acc_hub = "b." + str(uuid.UUID(int=self.rng.getrandbits(128)))
        self.acc_hook_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        self.projects = [
            SimProject(code, name, int(refs["procore"]), refs["acc"])
            for code, name in (projects or DEMO_PROJECTS)
            for refs in [platform_project_refs(code)]
        ]
        # Projects no hub knows: what a platform sends when someone set up a job the hub was
        # never told about.
        self.phantoms = [
            SimProject(code, name, int(refs["procore"]), refs["acc"], known=False)
            for code, name in [("ZZZ-901", "Tender: Car park extension"), ("ZZZ-902", "Old job")]
            for refs in [platform_project_refs(code)]
        ]
        self._known = {project.code for project in self.projects}
        self.cost_codes = list(cost_codes or [code for code, _ in DEFAULT_COST_CODES])
        self.procore_hook_versions = {
            project.procore_id: PROCORE_VERSIONS[index % 3]
            for index, project in enumerate(self.projects + self.phantoms)
        }
        # Procore REST resources by id (served as they are by the follow-up GET server).
        self.submittals: dict[int, dict] = {}
        self.drawings: dict[int, dict] = {}  # drawing id → {"sheet", "revisions": [ids]}
        self.drawing_revisions: dict[int, dict] = {}
        self.change_events: dict[int, dict] = {}
        # ACC Data Management versions by urn, and documents (lineages) by urn.
        self.acc_documents: dict[str, dict] = {}
        self.acc_versions: dict[str, dict] = {}
        # Estimating budgets and P6 milestones per project code.
        self.budgets: dict[str, dict] = {}
        self.milestones: dict[tuple[str, str], dict] = {}
        self.milestone_history: dict[tuple[str, str], list[dict]] = {}
        self.late_budgets: list[dict] = []  # older versions held back (out-of-order traffic)
        # The hub's own phase codes and commitment numbers when known (the demo), so budget
        # pushes and site deliveries refer to things that exist.
        self.phases = {code: list(values) for code, values in (phases or {}).items() if values}
        self.purchase_orders = {
            p.code: list((commitments or {}).get(p.code) or [f"P{i:05d}" for i in range(1, 6)])
            for p in self.projects
        }
        # Subject → seq of the latest delivery about it, and which seqs the hub accepted:
        # out-of-order deliveries are only made for subjects whose newer update has landed.
        self.latest_seq: dict[str, int] = {}
        self.accepted: set[int] = set()
        self.gets = 0

    # --- helpers -------------------------------------------------------------------------------
    def now(self) -> datetime:
        """Wall-clock time, strictly increasing (two events never share a source time)."""
        moment = self._now()
        if moment <= self._last_time:
            moment = self._last_time + timedelta(microseconds=1)
        self._last_time = moment
        return moment

    def _next(self, name: str) -> int:
        self._ids[name] += 1
        return self._ids[name]

    def _project(self, category: str) -> SimProject:
        pool = self.phantoms if category == "unknown_project" else self.projects
        return self.rng.choice(pool)

    def _cost_code(self, category: str) -> str:
        if category == "unmapped_cost_code":
            return self.rng.choice(UNMAPPED_COST_CODES)
        return self.rng.choice(self.cost_codes)

    def _money(self, low: int, high: int) -> str:
        cents = self.rng.randint(low * 100, high * 100)
        return str(Decimal(cents) / 100)

    def _delivery(self, **fields) -> Delivery:
        self.seq += 1
        delivery = Delivery(seq=self.seq, **fields)
        if delivery.subject:
            self.latest_seq[delivery.subject] = delivery.seq
        return delivery

    def mark_accepted(self, seq: int) -> None:
        with self.lock:
            self.accepted.add(seq)

    def categories_for(self, family: str) -> tuple[str, ...]:
        """The bad-data categories this family can produce from its own state."""
        return {
            "scheduling": ("unknown_project", "out_of_order"),
            "documents": ("unknown_project",),
            "estimating": ("unknown_project", "unmapped_cost_code", "out_of_order"),
            "field": ("unknown_project", "unmapped_cost_code"),
        }[family]

    def delivery(self, *, family: str, category: str = "good") -> Delivery:
        """The next delivery of a family; `category` good or one of `categories_for(family)`."""
        with self.lock:
            if family == "scheduling":
                return self._scheduling(category)
            if family == "documents":
                platform = "procore" if self.rng.random() < 0.65 else "acc"
                return self._procore(category) if platform == "procore" else self._acc(category)
            if family == "estimating":
                return self._estimating(category)
            if family == "field":
                return self._field(category)
        raise ValueError(f"unknown family {family!r} (expected one of {FAMILIES})")

    # --- scheduling (P6 milestone updates, Standard Webhooks) --------------------------------
    def _scheduling(self, category: str) -> Delivery:
        if category == "out_of_order":
            stale = self._scheduling_out_of_order()
            if stale is not None:
                return stale
            category = "good"
        project = self._project(category)
        task_code, name = self.rng.choice(MILESTONES)
        key = (project.code, task_code)
        state = self.milestones.get(key)
        if state is None:
            baseline = date(2025, 3, 1) + timedelta(days=60 * MILESTONES.index((task_code, name)))
            state = {
                "task_code": task_code,
                "name": name,
                "baseline_finish": baseline,
                "finish": baseline,
                "status": "TK_NotStart",
            }
        state = dict(state)
        # Milestones mostly slip, sometimes recover a little.
        state["finish"] = state["finish"] + timedelta(days=self.rng.choice([0, 1, 2, 3, 5, 8, -1]))
        if self.rng.random() < 0.15:
            state["status"] = "TK_Active"
        self.milestones[key] = state
        moment = self.now()
        delivery = self._milestone_delivery(project, state, moment, category)
        self.milestone_history.setdefault(key, []).append(
            {"state": state, "time": moment, "seq": delivery.seq}
        )
        return delivery

    def _milestone_delivery(
        self, project: SimProject, state: dict, moment: datetime, category: str, note: str = ""
    ) -> Delivery:
        event_id = f"ev-{self.run_tag}-{self.rng.getrandbits(48):012x}"
        data = {
            "project": project.code,
            "task_code": state["task_code"],
            "name": state["name"],
            "baseline_finish": state["baseline_finish"].isoformat() + " 17:00",
            "finish": state["finish"].isoformat() + " 17:00",
            "status": state["status"],
            "event_id": event_id,
        }
        return self._delivery(
            family="scheduling",
            platform="p6",
            system_code=SYSTEM_CODES["p6"],
            event="p6 milestone.updated",
            body=standard_payload(event_type="milestone.updated", timestamp=moment, data=data),
            scheme="standard",
            category=category,
            message_id=f"msg_{event_id}",
            subject=f"milestone:{project.code}:{state['task_code']}",
            source_time=moment,
            note=note,
        )

    def _scheduling_out_of_order(self) -> Delivery | None:
        candidates = [
            (key, history)
            for key, history in self.milestone_history.items()
            if len(history) >= 2 and history[-1]["seq"] in self.accepted and key[0] in self._known
        ]
        if not candidates:
            return None
        key, history = self.rng.choice(sorted(candidates, key=lambda item: item[0]))
        older = history[-2]
        project = next(p for p in self.projects + self.phantoms if p.code == key[0])
        # The state the platform had before, stamped with its original (older) time: a late
        # retry from the platform's queue.
        delivery = self._milestone_delivery(
            project,
            older["state"],
            older["time"],
            "out_of_order",
            note=f"older than delivery #{history[-1]['seq']}",
        )
        # It must not become the subject's latest: the newer one already landed.
        self.latest_seq[delivery.subject] = history[-1]["seq"]
        return delivery

    # --- documents: Procore ------------------------------------------------------------------
    def _procore(self, category: str) -> Delivery:
        project = self._project(category)
        roll = self.rng.random()
        open_submittals = [
            s
            for s in self.submittals.values()
            if s["project"]["id"] == project.procore_id and s["status"]["name"] == "Open"
        ]
        if roll < 0.35 or (roll < 0.55 and not open_submittals):
            resource_name, event_type, resource_id, related = self._submittal_create(project)
        elif roll < 0.55:
            resource_name, event_type, resource_id, related = self._submittal_respond(
                self.rng.choice(open_submittals)
            )
        elif roll < 0.85:
            resource_name, event_type, resource_id, related = self._drawing_revision(project)
        else:
            resource_name, event_type, resource_id, related = self._change_event(project)
        return self.procore_delivery(
            project=project,
            resource_name=resource_name,
            event_type=event_type,
            resource_id=resource_id,
            related=related,
            category=category,
        )

    def procore_delivery(
        self,
        *,
        project: SimProject,
        resource_name: str,
        event_type: str,
        resource_id: int,
        related: list[dict] | None = None,
        category: str = "good",
    ) -> Delivery:
        """A delivery about a resource, in the payload version of the project's hook."""
        version = self.procore_hook_versions[project.procore_id]
        moment = self.now()
        delivery_ulid = ulid(self.rng, moment, salt=self.run_tag)
        body = procore_delivery(
            version=version,
            delivery_id=self._next("delivery"),
            delivery_ulid=delivery_ulid,
            timestamp=moment,
            user_id=5447,
            company_id=self.company_id,
            project_id=project.procore_id,
            event_type=event_type,
            resource_name=resource_name,
            resource_id=resource_id,
            related=related,
            repeated_keys_quirk=bool(related) and self.rng.random() < 0.5,
        )
        return self._delivery(
            family="documents",
            platform="procore",
            system_code=SYSTEM_CODES["procore"],
            event=f"procore {version} {resource_name} {event_type}",
            body=body,
            scheme="standard",
            category=category,
            message_id=f"msg_{delivery_ulid.lower()}",
            subject=f"procore:{resource_name}:{resource_id}",
            source_time=moment,
            meta={"project_id": project.procore_id, "resource_id": resource_id},
        )

    def _procore_project(self, project: SimProject) -> dict:
        return {"id": project.procore_id, "name": project.name, "project_number": project.code}

    def _submittal_create(self, project: SimProject):
        spec, title, kind = self.rng.choice(SUBMITTAL_TOPICS)
        submittal_id = self._next("procore")
        count = sum(1 for s in self.submittals.values() if s["project"]["id"] == project.procore_id)
        received = self.now().date()
        refs = []
        if self.rng.random() < 0.6:
            po = self.rng.choice(self.purchase_orders.get(project.code) or ["P09999"])
            refs = [f"{po}/{self.rng.randint(1, 4)}"]
        moment = self.now()
        self.submittals[submittal_id] = {
            "id": submittal_id,
            "number": f"{spec}-{count + 1}",
            "revision": "0",
            "title": title,
            "status": {"id": 1, "name": "Open", "status": "open"},
            "specification_section": {
                "id": 700 + SUBMITTAL_TOPICS.index((spec, title, kind)),
                "number": spec,
                "description": dict(DEFAULT_COST_CODES).get(spec, title),
            },
            "type": {"id": 3, "name": kind},
            "approvers": [
                {
                    "id": submittal_id * 10 + 1,
                    "workflow_group_number": 1,
                    "user": {"id": 88, "name": "Design Team Reviewer"},
                    "response": {"id": 0, "name": "Pending", "considered": "pending"},
                    "returned_date": None,
                }
            ],
            "received_date": received.isoformat(),
            "issue_date": received.isoformat(),
            "due_date": (received + timedelta(days=self.rng.choice([5, 10, 14]))).isoformat(),
            "created_at": iso_z(moment),
            "updated_at": iso_z(moment),
            "custom_fields": {
                "custom_field_55001": {
                    "label": "Procurement lines",
                    "data_type": "string",
                    "value": "; ".join(refs),
                }
            },
            "project": self._procore_project(project),
        }
        return "Submittals", "create", submittal_id, []

    def _submittal_respond(self, submittal: dict):
        names, weights = zip(*RESPONSES, strict=True)
        response = self.rng.choices(names, weights=weights)[0]
        moment = self.now()
        approver = submittal["approvers"][-1]
        considered = {
            "Rejected": "rejected",
            "Revise and Resubmit": "revise_and_resubmit",
            "R&R": "revise_and_resubmit",
        }.get(response, "approved")
        approver["response"] = {
            "id": 10 + names.index(response),
            "name": response,
            "considered": considered,
        }
        approver["returned_date"] = moment.date().isoformat()
        if considered == "revise_and_resubmit":
            # Resubmitted at once as the next revision, back with the reviewer.
            submittal["revision"] = str(int(submittal["revision"]) + 1)
            submittal["approvers"].append(
                {
                    "id": approver["id"] + 1,
                    "workflow_group_number": approver["workflow_group_number"] + 1,
                    "user": approver["user"],
                    "response": {"id": 0, "name": "Pending", "considered": "pending"},
                    "returned_date": None,
                }
            )
        else:
            submittal["status"] = {"id": 2, "name": "Closed", "status": "closed"}
        submittal["updated_at"] = iso_z(moment)
        return "Submittals", "update", submittal["id"], []

    def _drawing_revision(self, project: SimProject):
        drawings = [d for d in self.drawings.values() if d["project_id"] == project.procore_id]
        advanceable = [d for d in drawings if d["step"] + 1 < len(REVISION_PATH)]
        if drawings and advanceable and self.rng.random() < 0.6:
            drawing = self.rng.choice(advanceable)
            drawing["step"] += 1
        else:
            sheet = self.rng.choice(DRAWING_SHEETS)
            drawing_id = self._next("procore")
            drawing = {
                "id": drawing_id,
                "project_id": project.procore_id,
                "sheet": sheet,
                "step": 1,  # shared P01 is the first revision Procore holds
                "revisions": [],
            }
            self.drawings[drawing_id] = drawing
        code, statuses = REVISION_PATH[drawing["step"]]
        moment = self.now()
        revision_id = self._next("procore")
        for old_id in drawing["revisions"]:
            self.drawing_revisions[old_id]["current"] = False
            self.drawing_revisions[old_id]["updated_at"] = iso_z(moment)
        number, title, discipline = drawing["sheet"]
        self.drawing_revisions[revision_id] = {
            "id": revision_id,
            "drawing_id": drawing["id"],
            "number": f"{project.code}-{number}",
            "title": title,
            "revision_number": code,
            "current": True,
            "drawing_date": moment.date().isoformat(),
            "received_date": moment.date().isoformat(),
            "updated_at": iso_z(moment),
            "discipline": {"id": DRAWING_SHEETS.index(drawing["sheet"]) + 1, "name": discipline},
            "drawing_set": {"id": 31, "name": "Construction issue" if code[0] == "C" else "Design"},
            "custom_fields": {
                "custom_field_77001": {"label": "Suitability", "value": self.rng.choice(statuses)}
            },
            "pdf_url": f"https://storage.procore.example/drawings/{revision_id}.pdf",
            "project": self._procore_project(project),
        }
        drawing["revisions"].append(revision_id)
        return "Drawing Revisions", "create", revision_id, []

    def _change_event(self, project: SimProject):
        event_id = self._next("procore")
        moment = self.now()
        lines = []
        for index in range(self.rng.randint(1, 3)):
            code = self._cost_code("good")
            lines.append(
                {
                    "id": event_id * 10 + index,
                    "description": f"Additional work at grid {self.rng.choice('ABCDEFG')}",
                    "cost_code": {
                        "id": 4000 + index,
                        "full_code": code,
                        "name": dict(DEFAULT_COST_CODES).get(code, code),
                    },
                    "cost_rom": self._money(500, 25_000),
                    "revenue_rom": self._money(600, 30_000),
                    "currency": "EUR",
                }
            )
        count = sum(
            1 for c in self.change_events.values() if c["project"]["id"] == project.procore_id
        )
        self.change_events[event_id] = {
            "id": event_id,
            "number": f"{count + 1:03d}",
            "title": self.rng.choice(
                ["Unforeseen ground conditions", "Client variation: extra sockets", "Design change"]
            ),
            "status": "Open",
            "change_reason": {"name": self.rng.choice(["Design Development", "Client Request"])},
            "line_items": lines,
            "updated_at": iso_z(moment),
            "project": self._procore_project(project),
        }
        if self.rng.random() < 0.5:
            # A line item's delivery carries its change event as a related resource (v3.0).
            item = lines[0]["id"]
            return (
                "Change Event Line Items",
                "create",
                item,
                [{"id": event_id, "name": "Change Events"}],
            )
        return "Change Events", "create", event_id, []

    # --- documents: ACC ----------------------------------------------------------------------
    def _acc(self, category: str) -> Delivery:
        project = self._project(category)
        documents = [
            d for d in self.acc_documents.values() if d["project_guid"] == project.acc_guid
        ]
        advanceable = [d for d in documents if d["step"] + 1 < len(REVISION_PATH)]
        if advanceable and self.rng.random() < 0.55:
            document = self.rng.choice(advanceable)
            document["step"] += 1
        else:
            number, title, discipline = self.rng.choice(DRAWING_SHEETS)
            file_key = f"{self._next('acc'):08d}{self.rng.getrandbits(40):010x}"
            lineage = f"urn:adsk.wipprod:dm.lineage:{file_key}"
            document = {
                "lineage_urn": lineage,
                "project_guid": project.acc_guid,
                "project_number": project.code,
                "number": f"{project.code}-ACC-{number}",
                "title": title,
                "discipline": discipline,
                "step": 0,
                "versions": [],
            }
            self.acc_documents[lineage] = document
        code, statuses = REVISION_PATH[document["step"]]
        moment = self.now()
        version_number = len(document["versions"]) + 1
        file_id = document["lineage_urn"].rsplit(":", 1)[1]
        urn = f"urn:adsk.wipprod:fs.file:vf.{file_id}?version={version_number}"
        for old in document["versions"]:
            self.acc_versions[old]["is_latest"] = False
        status = self.rng.choice(statuses)
        self.acc_versions[urn] = {
            "urn": urn,
            "lineage_urn": document["lineage_urn"],
            "project_guid": project.acc_guid,
            "project_number": project.code,
            "number": document["number"],
            "file_name": f"{document['number']} {document['title']}.pdf",
            "discipline": document["discipline"],
            "revision": code,
            "status": status,
            "version_number": version_number,
            "is_latest": True,
            "created": iso_z(moment),
            "modified": iso_z(moment),
            "approval": {"label": "Approved", "value": "approved"}
            if status.startswith("A")
            else {},
        }
        document["versions"].append(urn)
        event = "dm.version.added"
        delivery_id = str(
            uuid.uuid5(uuid.NAMESPACE_OID, f"{self.run_tag}:{self.rng.getrandbits(96)}")
        )
        payload = {
            "ext": "pdf",
            "modifiedTime": moment.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "createdTime": moment.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "creator": "SIMUSER01",
            "lineageUrn": document["lineage_urn"],
            "sizeInBytes": self.rng.randint(80_000, 9_000_000),
            "hidden": False,
            "indexable": True,
            "source": urn,
            "version": str(version_number),
            "user_info": {"id": "SIMUSER01"},
            "name": self.acc_versions[urn]["file_name"],
            "state": "CONTENT_AVAILABLE",
            "parentFolderUrn": f"urn:adsk.wipprod:fs.folder:co.{project.acc_guid[:8]}",
            "project": project.acc_guid,
            "tenant": self.acc_hub,
        }
        body = acc_envelope(
            event=event,
            system="data",
            hook_id=self.acc_hook_id,
            tenant=f"urn:adsk.wipprod:fs.folder:co.{project.acc_guid[:8]}",
            project_guid=project.acc_guid,
            hub_id=self.acc_hub,
            resource_urn=document["lineage_urn"],
            payload=payload,
            created=moment,
        )
        return self._delivery(
            family="documents",
            platform="acc",
            system_code=SYSTEM_CODES["acc"],
            event=f"acc {event}",
            body=body,
            scheme="adsk",
            category=category,
            message_id=delivery_id,
            subject=f"acc:{urn}",
            source_time=moment,
            meta={"project_guid": project.acc_guid, "urn": urn},
        )

    # --- estimating (budget pushes) ----------------------------------------------------------
    def _estimating(self, category: str, project: SimProject | None = None) -> Delivery:
        if category == "out_of_order":
            stale = self._estimating_out_of_order()
            if stale is not None:
                return stale
            category = "good"
        project = project or self._project(category)
        budget = self.budgets.setdefault(
            project.code,
            {"budget_id": f"EST-{project.code}-{self.run_tag}", "version": 0, "lines": []},
        )
        budget["version"] += 1
        lines = self._budget_lines(category, project.code)
        budget["lines"] = lines
        moment = self.now()
        return self._budget_delivery(
            project, budget["budget_id"], budget["version"], lines, moment, category
        )

    def _budget_lines(self, category: str, project_code: str = "") -> list[dict]:
        count = min(len(self.cost_codes), self.rng.randint(4, 7))
        codes = self.rng.sample(self.cost_codes, k=count)
        phases = self.phases.get(project_code) or DEFAULT_PHASES
        lines = [
            {
                "phase": self.rng.choice(phases),
                "cost_code": code,
                "description": dict(DEFAULT_COST_CODES).get(code, f"Package {code}"),
                "amount": self._money(20_000, 900_000),
            }
            for code in codes
        ]
        if category == "unmapped_cost_code":
            lines[self.rng.randrange(len(lines))]["cost_code"] = self._cost_code(category)
        return lines

    def _budget_delivery(self, project, budget_id, version, lines, moment, category, note=""):
        data = {
            "budget_id": budget_id,
            "version": version,
            "project": project.code,
            "currency": "EUR",
            "estimator": "cost.planner",
            "lines": lines,
        }
        message_id = f"msg_{budget_id.lower()}_v{version}_{self.rng.getrandbits(24):06x}"
        return self._delivery(
            family="estimating",
            platform="estimating",
            system_code=SYSTEM_CODES["estimating"],
            event="estimating budget.published",
            body=standard_payload(event_type="budget.published", timestamp=moment, data=data),
            scheme="standard",
            category=category,
            message_id=message_id,
            subject=f"budget:{budget_id}",
            source_time=moment,
            note=note,
        )

    def _estimating_out_of_order(self) -> Delivery | None:
        """A budget version that arrives after the next one (the estimator published twice,
        the first push sat in a retry queue). Re-sending the same version would be a duplicate
        (the hub dedupes on budget + version), so the world publishes two versions, sends the
        newer one now (as good traffic) and keeps the older one back until the newer landed."""
        for index, late in enumerate(self.late_budgets):
            if late["newer_seq"] in self.accepted:
                del self.late_budgets[index]
                project = next(p for p in self.projects if p.code == late["project"])
                delivery = self._budget_delivery(
                    project,
                    late["budget_id"],
                    late["version"],
                    late["lines"],
                    late["time"],
                    "out_of_order",
                    note=f"version {late['version']} after version {late['version'] + 1}",
                )
                self.latest_seq[delivery.subject] = late["newer_seq"]
                return delivery
        if self.late_budgets:
            return None  # one held back already, waiting for its newer version to land
        project = self._project("good")
        budget = self.budgets.setdefault(
            project.code,
            {"budget_id": f"EST-{project.code}-{self.run_tag}", "version": 0, "lines": []},
        )
        budget["version"] += 1
        held_back = {
            "project": project.code,
            "budget_id": budget["budget_id"],
            "version": budget["version"],
            "lines": self._budget_lines("good", project.code),
            "time": self.now(),
        }
        newer = self._estimating("good", project=project)  # the next version, sent now
        held_back["newer_seq"] = newer.seq
        self.late_budgets.append(held_back)
        return newer

    # --- field (site devices) ----------------------------------------------------------------
    def _field(self, category: str) -> Delivery:
        project = self._project(category)
        event_type = self.rng.choices(
            [
                "daily_quantity.reported",
                "equipment.logged",
                "timesheet.submitted",
                "delivery.received",
                "progress.reported",
            ],
            weights=[35, 15, 20, 15, 15],
        )[0]
        if category != "good" and event_type in ("delivery.received", "progress.reported"):
            # Bad data goes on the site quantities: a delivery or a progress report is checked
            # against its commitment first (procurement's handlers), not against the project.
            event_type = "daily_quantity.reported"
        moment = self.now()
        # Devices send their local time with its offset; some arrive after a while offline.
        offline = timedelta(minutes=self.rng.choice([0, 0, 0, 2, 45, 180]))
        device_time = (moment - offline).astimezone(
            timezone(timedelta(hours=self.rng.choice([0, 1, 2])))
        )
        event_id = f"{self.run_tag}-{self.rng.getrandbits(64):016x}"
        device = f"tab-{self.rng.randint(1, 24):02d}"
        data: dict[str, Any] = {
            "project": project.code,
            "device_id": device,
            "event_id": event_id,
            "device_time": device_time.isoformat(timespec="seconds"),
            "reported_by": self.rng.choice(["site.foreman", "j.murphy", "a.kowalska", "m.osei"]),
            "location": self.rng.choice(["Block A", "Block B", "Deck span 2", "Plant room"]),
        }
        if event_type == "daily_quantity.reported":
            data |= {
                "date": device_time.date().isoformat(),
                "cost_code": self._cost_code(category),
                "activity": "Pour slab" if self.rng.random() < 0.5 else "Fix reinforcement",
                "quantity": str(Decimal(self.rng.randint(5, 900)) / 10),
                "unit": self.rng.choice(["m3", "t", "m2"]),
            }
        elif event_type == "equipment.logged":
            data |= {
                "equipment_id": self.rng.choice(["EXC-02", "CRN-01", "PMP-04"]),
                "hours": str(Decimal(self.rng.randint(10, 100)) / 10),
                "cost_code": self._cost_code(category),
            }
        elif event_type == "timesheet.submitted":
            data |= {
                "crew": self.rng.choice(["Concrete gang 1", "Steel fixers", "Electricians"]),
                "trade": self.rng.choice(["concrete", "steel", "electrical"]),
                "hours": str(Decimal(self.rng.randint(40, 120)) / 10),
                "cost_code": self._cost_code(category),
            }
        elif event_type == "delivery.received":
            data |= {
                "po_number": self.rng.choice(self.purchase_orders.get(project.code) or ["P09999"]),
                "delivery_note": f"DN-{self.rng.randint(1000, 9999)}",
                "lines": [
                    {
                        "line_ref": str(self.rng.randint(1, 4)),
                        "cost_code": self._cost_code(category),
                        "quantity_received": str(self.rng.randint(1, 40)),
                        "unit": "t",
                    }
                ],
            }
        else:
            data |= {
                "commitment_number": self.rng.choice(
                    self.purchase_orders.get(project.code) or ["P09999"]
                ),
                "period_end": device_time.date().isoformat(),
                "lines": [{"line_no": 1, "percent_complete": str(self.rng.randint(5, 100))}],
            }
        return self._delivery(
            family="field",
            platform="field",
            system_code=SYSTEM_CODES["field"],
            event=f"field {event_type}",
            body=standard_payload(event_type=event_type, timestamp=moment, data=data),
            scheme="standard",
            category=category,
            message_id=f"msg_{event_id}",
            subject=f"field:{device}:{event_id}",
            source_time=moment,
        )
