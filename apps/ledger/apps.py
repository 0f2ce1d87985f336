from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.connectors.models import System
        from apps.ledger.ingest import ingest_caches_clear
        from apps.projects.models import Project

        # Only to keep this process's ingest cache fresh (other processes rely on its short TTL);
        # no business effect hangs on these signals.
        def clear(**_kwargs):
            ingest_caches_clear()

        for model in (System, Project):
            post_save.connect(clear, sender=model, weak=False, dispatch_uid=f"ledger-cache-{model}")
            post_delete.connect(
                clear, sender=model, weak=False, dispatch_uid=f"ledger-cache-del-{model}"
            )
