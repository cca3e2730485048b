"""Production refuses to start on missing, placeholder, short or shared secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from distokoloshe.settings import get_settings
from tests.support.appenv import random_secret

SECRETS = ("JWT_SECRET", "E2EE_SECRET", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")


def load(monkeypatch, **env: str):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return get_settings()


def refusal(monkeypatch, **env: str) -> str:
    with pytest.raises(ValueError) as caught:
        load(monkeypatch, **env)
    message = str(caught.value)
    assert "Refusing to start in production" in message
    return message


def test_production_starts_with_strong_distinct_secrets(monkeypatch, app_env):
    settings = load(monkeypatch, APP_ENV="prod")
    assert settings.app_env == "prod"
    assert settings.jwt_secret.get_secret_value() == app_env["JWT_SECRET"]


@pytest.mark.parametrize("name", SECRETS)
def test_production_refuses_a_missing_secret(monkeypatch, name):
    monkeypatch.delenv(name)
    message = refusal(monkeypatch, APP_ENV="prod")
    assert f"{name} is missing or a placeholder" in message


@pytest.mark.parametrize("name", SECRETS)
def test_production_refuses_an_empty_secret(monkeypatch, name):
    message = refusal(monkeypatch, APP_ENV="prod", **{name: ""})
    assert f"{name} is missing or a placeholder" in message


@pytest.mark.parametrize("placeholder", ["secret", "devkey", "changeme", "  Secret ", "DEVKEY",
                                         "change-me"])
@pytest.mark.parametrize("name", SECRETS)
def test_production_refuses_placeholder_secrets(monkeypatch, name, placeholder):
    message = refusal(monkeypatch, APP_ENV="prod", **{name: placeholder})
    assert f"{name} is missing or a placeholder" in message


@pytest.mark.parametrize("name", ["JWT_SECRET", "E2EE_SECRET", "LIVEKIT_API_SECRET"])
def test_production_refuses_secrets_shorter_than_32(monkeypatch, name):
    message = refusal(monkeypatch, APP_ENV="prod", **{name: random_secret(31)})
    assert f"{name} is too short" in message
    assert load(monkeypatch, **{name: random_secret(32)}).app_env == "prod"


def test_production_refuses_a_livekit_key_shorter_than_8(monkeypatch):
    message = refusal(monkeypatch, APP_ENV="prod", LIVEKIT_API_KEY="APIabcd")
    assert "LIVEKIT_API_KEY is too short" in message


def test_production_refuses_jwt_secret_equal_to_e2ee_secret(monkeypatch):
    shared = random_secret(48)
    message = refusal(monkeypatch, APP_ENV="prod", JWT_SECRET=shared, E2EE_SECRET=shared)
    assert "E2EE_SECRET must differ from JWT_SECRET" in message


def test_refusal_lists_every_problem_and_the_way_out(monkeypatch):
    message = refusal(monkeypatch, APP_ENV="prod", JWT_SECRET="secret", LIVEKIT_API_KEY="devkey",
                      LIVEKIT_API_SECRET="secret")
    assert "JWT_SECRET" in message and "LIVEKIT_API_KEY" in message
    assert "LIVEKIT_API_SECRET" in message
    assert "deploy/init.sh" in message


def test_refusal_does_not_echo_any_secret(monkeypatch, app_env):
    # Startup errors end up in logs: not even a fragment of a secret may appear in them.
    env = dict(app_env, JWT_SECRET="Zq7" + random_secret(20))
    message = refusal(monkeypatch, APP_ENV="prod", JWT_SECRET=env["JWT_SECRET"])
    for name in SECRETS:
        value = env[name]
        fragments = {value[i:i + 8] for i in range(len(value) - 7)}
        assert not any(fragment in message for fragment in fragments), name


def test_dev_mode_accepts_empty_secrets(monkeypatch):
    for name in SECRETS:
        monkeypatch.delenv(name)
    monkeypatch.delenv("APP_ENV")
    settings = load(monkeypatch)
    assert settings.app_env == "dev"
    for name in SECRETS:
        assert getattr(settings, name.lower()).get_secret_value() == ""


def test_dev_mode_accepts_placeholders(monkeypatch):
    settings = load(monkeypatch, APP_ENV="dev", LIVEKIT_API_KEY="devkey",
                    LIVEKIT_API_SECRET="secret")
    assert settings.livekit_api_key.get_secret_value() == "devkey"


def test_unknown_app_env_is_refused_not_treated_as_dev(monkeypatch):
    with pytest.raises(ValidationError):
        load(monkeypatch, APP_ENV="production", JWT_SECRET="secret")


@pytest.mark.parametrize("rounds", ["4", "11"])
def test_bcrypt_cost_cannot_be_configured_below_12(monkeypatch, rounds):
    with pytest.raises(ValidationError):
        load(monkeypatch, BCRYPT_ROUNDS=rounds)


def test_secrets_are_hidden_from_repr(monkeypatch, app_env):
    settings = load(monkeypatch)
    assert app_env["JWT_SECRET"] not in repr(settings)
    assert app_env["E2EE_SECRET"] not in str(settings.model_dump())


def test_default_database_is_sqlite_under_the_data_dir(app_env):
    url = get_settings().effective_database_url
    assert url == f"sqlite:///{app_env['DATA_DIR']}/distokoloshe.db"


def test_database_url_overrides_the_default(monkeypatch):
    url = "postgresql+psycopg2://app@127.0.0.1:5432/app"
    assert load(monkeypatch, DATABASE_URL=url).effective_database_url == url


def test_session_days_default_to_seven():
    assert get_settings().session_days == 7
