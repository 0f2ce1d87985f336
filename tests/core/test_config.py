import pytest

from integrationhub.config import database_from_url, env_bool, env_list, redis_from_url


def test_database_url_defaults_to_sqlite_with_busy_timeout(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path}/hub.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == f"{tmp_path}/hub.sqlite3"
    assert config["OPTIONS"]["timeout"] == 20


def test_postgres_url_gets_persistent_connections_with_health_checks():
    config = database_from_url("postgres://hub:s3cret@db.internal:6543/integrationhub")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == (
        "db.internal",
        6543,
        "integrationhub",
    )
    assert (config["USER"], config["PASSWORD"]) == ("hub", "s3cret")
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["TEST"]["NAME"] == "test_integrationhub"


def test_redis_url_parsed_into_django_q_broker_settings():
    config = redis_from_url("redis://:pw@cache.internal:6380/3")
    assert config["host"] == "cache.internal"
    assert config["port"] == 6380
    assert config["db"] == 3
    assert config["password"] == "pw"
    assert config["ssl"] is False


def test_no_redis_url_means_orm_broker():
    assert redis_from_url("") is None
    assert redis_from_url(None) is None


def test_redis_url_with_wrong_scheme_is_refused():
    with pytest.raises(ValueError, match="redis://"):
        redis_from_url("http://cache:6379/0")


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False)]
)
def test_env_bool(raw, expected):
    assert env_bool(raw) is expected


def test_env_bool_default_when_unset():
    assert env_bool(None, default=True) is True
    assert env_bool("", default=False) is False


def test_env_list_splits_and_strips():
    assert env_list(" a.example.com, b.example.com ,", []) == ["a.example.com", "b.example.com"]
    assert env_list(None, ["x"]) == ["x"]


def test_settings_select_broker_from_environment(settings):
    from django.conf import settings as live

    assert ("redis" in live.Q_CLUSTER) != ("orm" in live.Q_CLUSTER)
    assert live.Q_CLUSTER["timeout"] < live.Q_CLUSTER["retry"]
    assert live.Q_CLUSTER["ack_failures"] is True
