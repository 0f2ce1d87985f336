from django.core.management import call_command


def seed(stdout) -> None:
    call_command("create_demo_users", stdout=stdout)
