"""project: projects (with their analytic account), milestones and tasks."""

from __future__ import annotations

from . import orm
from .exceptions import ValidationError
from .fields import (
    ModelDef,
    boolean,
    char,
    date,
    datetime_,
    html,
    integer,
    many2many,
    many2one,
    one2many,
    selection,
)


def _milestone_before_write(env, ids, vals):
    if "is_reached" in vals and "reached_date" not in vals:
        vals["reached_date"] = orm.today_string() if vals["is_reached"] else False
    return vals


def _milestone_before_create(env, vals):
    if vals.get("is_reached") and not vals.get("reached_date"):
        vals["reached_date"] = orm.today_string()
    return vals


def _project_dates(env, ids) -> None:
    table = env.store.tables["project.project"]
    for rid in ids:
        rec = table[rid]
        if rec.get("date_start") and rec.get("date") and rec["date_start"] > rec["date"]:
            raise ValidationError("The project's start date must be before its end date.")


def define(registry: dict[str, ModelDef]) -> None:
    registry["project.project"] = ModelDef(
        "project.project",
        "Project",
        {
            "name": char("Name", required=True),
            "description": html("Description"),
            "active": boolean("Active", default=True),
            "sequence": integer("Sequence", default=10),
            "partner_id": many2one("res.partner", "Customer"),
            "company_id": many2one("res.company", "Company", default=lambda env: env.company_id),
            "currency_id": many2one(
                "res.currency",
                "Currency",
                compute=lambda env, rec: (
                    env.store.tables["res.company"]
                    .get(rec.get("company_id") or 1, {})
                    .get("currency_id", False)
                ),
            ),
            "account_id": many2one(
                "account.analytic.account", "Project Account", ondelete="set null"
            ),
            "user_id": many2one("res.users", "Project Manager", default=lambda env: env.uid),
            "date_start": date("Start Date"),
            "date": date("Expiration Date"),
            "allow_milestones": boolean("Milestones", default=False),
            "milestone_ids": one2many("project.milestone", "project_id", "Milestones"),
            "task_ids": one2many("project.task", "project_id", "Tasks"),
            "task_count": integer(
                "Task Count",
                compute=lambda env, rec: len(
                    env.store.inverse[("project.task", "project_id")].get(rec["id"], ())
                ),
                store=False,
            ),
            "privacy_visibility": selection(
                [
                    ("followers", "Invited internal users"),
                    ("invited_users", "Invited internal and portal users"),
                    ("employees", "All internal users"),
                    ("portal", "Invited portal users and all internal users"),
                ],
                "Visibility",
                default="employees",
            ),
            "last_update_status": selection(
                [
                    ("on_track", "On Track"),
                    ("at_risk", "At Risk"),
                    ("off_track", "Off Track"),
                    ("on_hold", "On Hold"),
                    ("to_define", "Set Status"),
                    ("done", "Complete"),
                ],
                "Status",
                default="to_define",
            ),
        },
        order="sequence, name, id",
        acl="project",
        constraints=[_project_dates],
    )
    milestone = ModelDef(
        "project.milestone",
        "Project Milestone",
        {
            "name": char("Name", required=True),
            "project_id": many2one("project.project", "Project", required=True, ondelete="cascade"),
            "deadline": date("Deadline"),
            "is_reached": boolean("Reached", default=False),
            "reached_date": date("Reached Date"),
            "task_ids": one2many("project.task", "milestone_id", "Tasks"),
        },
        order="deadline, is_reached desc, name",
        acl="project",
        before_create=_milestone_before_create,
        before_write=_milestone_before_write,
    )
    registry["project.milestone"] = milestone

    @milestone.method("toggle_is_reached")
    def toggle_is_reached(self, is_reached):
        orm.check_exists(self.env, self._name, self.ids)
        orm.write_records(self.env, "project.milestone", self.ids, {"is_reached": bool(is_reached)})
        return orm.read_records(
            self.env, "project.milestone", self.ids, ["is_reached", "reached_date"]
        )

    registry["project.task"] = ModelDef(
        "project.task",
        "Task",
        {
            "name": char("Title", required=True),
            "project_id": many2one("project.project", "Project", ondelete="cascade"),
            "milestone_id": many2one("project.milestone", "Milestone", ondelete="set null"),
            "parent_id": many2one("project.task", "Parent Task", ondelete="cascade"),
            "child_ids": one2many("project.task", "parent_id", "Sub-tasks"),
            "user_ids": many2many("res.users", "Assignees"),
            "date_deadline": datetime_("Deadline"),
            "state": selection(
                [
                    ("01_in_progress", "In Progress"),
                    ("02_changes_requested", "Changes Requested"),
                    ("03_approved", "Approved"),
                    ("1_done", "Done"),
                    ("1_canceled", "Cancelled"),
                    ("04_waiting_normal", "Waiting"),
                ],
                "State",
                default="01_in_progress",
            ),
            "priority": selection([("0", "Low"), ("1", "High")], "Priority", default="0"),
            "description": html("Description"),
            "active": boolean("Active", default=True),
        },
        order="priority desc, id desc",
        parent_name="parent_id",
        acl="project",
    )
