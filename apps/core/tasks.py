from apps.core.services import worker_heartbeat_record


def worker_heartbeat() -> None:
    worker_heartbeat_record()
