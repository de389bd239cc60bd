"""Production guards at start: a long SECRET_KEY, and a shared rate-limit store (or a loud, explicit opt-out)."""
import logging

import pytest
from cryptography.fernet import Fernet

from portal import create_app
from portal.config import config_for

LONG_KEY = "k" * 32
SEALING_KEY = Fernet.generate_key().decode()


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RATELIMIT_PER_PROCESS_OK", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("BID_SEALING_KEY", SEALING_KEY)
    return monkeypatch


def test_production_refuses_to_start_without_a_bid_sealing_key(production_env):
    production_env.setenv("SECRET_KEY", LONG_KEY)
    production_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    production_env.delenv("BID_SEALING_KEY")
    with pytest.raises(RuntimeError, match="BID_SEALING_KEY must be set"):
        create_app("production")


@pytest.mark.parametrize("key", ["x", "k" * 31])
def test_production_refuses_a_short_secret_key(production_env, key):
    production_env.setenv("SECRET_KEY", key)
    production_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(RuntimeError, match="at least 32"):
        create_app("production")


def test_production_refuses_to_start_without_a_shared_rate_limit_store(production_env):
    production_env.setenv("SECRET_KEY", LONG_KEY)
    with pytest.raises(RuntimeError, match="REDIS_URL must be set in production"):
        create_app("production")


def test_production_with_redis_and_a_long_key_is_accepted(production_env):
    production_env.setenv("SECRET_KEY", LONG_KEY)
    production_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    values = config_for("production")  # not create_app: the shared limiter would then point at Redis
    assert values["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert values["SECRET_KEY"] == LONG_KEY


def test_per_process_limits_start_only_when_asked_and_say_so_loudly(production_env, caplog):
    production_env.setenv("SECRET_KEY", LONG_KEY)
    production_env.setenv("RATELIMIT_PER_PROCESS_OK", "1")
    with caplog.at_level(logging.WARNING, logger="portal"):
        app = create_app("production")
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert any("RATE LIMITS ARE PER PROCESS" in record.getMessage() and record.levelno == logging.WARNING
               for record in caplog.records)


def test_development_still_starts_with_a_short_key_and_no_redis(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    assert config_for("development")["SECRET_KEY"] == "x"
