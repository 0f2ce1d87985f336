from django.core.management.base import BaseCommand

from apps.accounts import roles
from apps.accounts.services import user_create
from apps.projects.models import Project

DEMO_PASSWORD = "demo-pass-2026"

DEMO_USERS = [
    ("fiona", "Fiona", "Finch", [roles.FINANCE]),
    ("pat", "Pat", "Morgan", [roles.PMO]),
    ("ada", "Ada", "Lovelace", [roles.INTEGRATION_ADMIN]),
    ("rob", "Rob", "Builder", [roles.REQUESTER]),
    ("alice", "Alice", "Approver", [roles.APPROVER]),
]


class Command(BaseCommand):
    help = "Create the demo users (fiona, pat, ada, rob, alice) with their roles. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args, **options):
        projects = list(Project.objects.all())
        for username, first, last, user_roles in DEMO_USERS:
            user_create(
                username=username,
                password=options["password"],
                roles=user_roles,
                first_name=first,
                last_name=last,
                # Everyone but the admin is scoped to projects; the demo gives them all of them.
                projects=projects if roles.INTEGRATION_ADMIN not in user_roles else [],
            )
            self.stdout.write(f"  {username:6} {', '.join(user_roles)}")
        self.stdout.write(self.style.SUCCESS(f"demo users ready (password: {options['password']})"))
