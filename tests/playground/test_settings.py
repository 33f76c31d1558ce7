"""The settings module: driven by the environment, loud about bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from playground import settings as project_settings

ROOT = Path(__file__).resolve().parents[2]


BACKENDS = (
    "import playground.settings as s; print(s.DATABASES['default']['ENGINE'],"
    " s.RUN_BACKEND, s.CHANNEL_LAYERS['default']['BACKEND'])"
)


def _settings_in_subprocess(code: str = BACKENDS, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "RUN_BACKEND", "DEBUG", "SECRET_KEY")
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    "value, expected", [("1", True), ("true", True), ("Off", False), ("0", False), ("", False)]
)
def test_it_reads_booleans(monkeypatch, value, expected):
    """Booleans take the usual spellings; empty means the default."""
    monkeypatch.setenv("SOME_FLAG", value)
    assert project_settings.env_bool("SOME_FLAG", False) is expected


def test_it_fails_loudly_on_a_bad_boolean(monkeypatch):
    """An unrecognised boolean is an error naming the variable, not a silent default."""
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG='maybe'"):
        project_settings.env_bool("SOME_FLAG")


def test_it_fails_loudly_on_a_bad_number(monkeypatch):
    """A number that is not one is an error naming the variable."""
    monkeypatch.setenv("MAX_BODY_BYTES", "lots")
    with pytest.raises(ImproperlyConfigured, match="MAX_BODY_BYTES"):
        project_settings.env_int("MAX_BODY_BYTES", 1)


def test_it_defaults_to_the_embedded_setup():
    """No variables: SQLite, runs in a thread, the in-memory channel layer."""
    result = _settings_in_subprocess()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "thread",
        "channels.layers.InMemoryChannelLayer",
    ]


def test_it_switches_to_postgres_redis_and_celery_by_environment():
    """DATABASE_URL picks PostgreSQL; REDIS_URL picks channels-redis and Celery."""
    result = _settings_in_subprocess(
        DATABASE_URL="postgres://u@127.0.0.1:5432/db", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "celery",
        "channels_redis.pubsub.RedisPubSubChannelLayer",
    ]


def test_it_offers_the_core_redis_layer_by_choice():
    """CHANNEL_LAYER=core picks channels-redis' list-based layer instead of pub/sub."""
    result = _settings_in_subprocess(REDIS_URL="redis://127.0.0.1:6379/0", CHANNEL_LAYER="core")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "channels_redis.core.RedisChannelLayer"


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "perhaps"},
        {"RUN_BACKEND": "carrier-pigeon"},
        {"MAX_BODY_BYTES": "1MB"},
        {"CHANNEL_LAYER": "kafka", "REDIS_URL": "redis://127.0.0.1:6379/0"},
    ],
)
def test_it_refuses_to_start_on_a_bad_value(env):
    """A bad value stops the settings from loading, with the variable named."""
    result = _settings_in_subprocess(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and next(iter(env)) in result.stderr


DEBUG_AND_KEY = "import playground.settings as s; print(s.DEBUG, s.SECRET_KEY)"


def test_it_is_production_safe_with_nothing_set(tmp_path):
    """No DEBUG, no SECRET_KEY: DEBUG is off and the key is this install's own, made once in a
    file only its user may read, and the same for every process that starts after."""
    key_file = tmp_path / "var" / "secret_key"
    first = _settings_in_subprocess(DEBUG_AND_KEY, SECRET_KEY_FILE=str(key_file))
    assert first.returncode == 0, first.stderr
    debug, key = first.stdout.split()
    assert debug == "False"
    assert key == key_file.read_text().strip() and len(key) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert "insecure" not in key
    second = _settings_in_subprocess(DEBUG_AND_KEY, SECRET_KEY_FILE=str(key_file))
    assert second.stdout.split()[1] == key
    assert not [p for p in key_file.parent.iterdir() if p != key_file]  # no temporary left


def test_the_environment_s_secret_and_debug_win(tmp_path):
    key_file = tmp_path / "secret_key"
    result = _settings_in_subprocess(DEBUG_AND_KEY, SECRET_KEY="from-the-environment", DEBUG="true",
                            SECRET_KEY_FILE=str(key_file))  # fmt: skip
    assert result.stdout.split() == ["True", "from-the-environment"]
    assert not key_file.exists()


def test_processes_starting_together_agree_on_one_key(tmp_path):
    """daphne and the Celery worker start at once under `make run`: one key for all."""
    key_file = tmp_path / "var" / "secret_key"
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    code = "import playground.settings as s; print(s.SECRET_KEY)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                         env={**clean, "SECRET_KEY_FILE": str(key_file)}, text=True)
        for _ in range(6)
    ]  # fmt: skip
    keys = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert keys == {key_file.read_text().strip()}
