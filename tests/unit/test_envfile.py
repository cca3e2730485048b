"""The first-run `.env`: four distinct random secrets, private to its owner, never overwritten."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from distokoloshe import envfile
from distokoloshe.settings import Settings, get_settings

NAMES = {"JWT_SECRET", "E2EE_SECRET", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"}


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_creates_the_file_with_four_distinct_secrets(tmp_path, umask_022):
    path = tmp_path / ".env"
    assert envfile.write_env_file(path) is True
    values = dotenv_values(path)
    assert set(values) == NAMES
    assert all(values[name] for name in NAMES)
    assert len(set(values.values())) == 4


def test_file_is_readable_by_its_owner_only(tmp_path, umask_022):
    path = tmp_path / ".env"
    envfile.write_env_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secrets_are_never_readable_by_others_even_while_being_written(tmp_path, monkeypatch,
                                                                       umask_022):
    # Whatever route the file takes to 0600, look at it each time its mode changes and
    # whenever it is written: it must never hold secrets while group/others can read it.
    path = tmp_path / ".env"
    seen: list[tuple[int, int]] = []

    def look() -> None:
        if path.exists():
            seen.append((stat.S_IMODE(path.stat().st_mode), path.stat().st_size))

    real_chmod, real_fchmod, real_path_chmod = os.chmod, os.fchmod, Path.chmod

    def chmod(*args, **kwargs):
        look()
        return real_chmod(*args, **kwargs)

    def fchmod(*args, **kwargs):
        look()
        return real_fchmod(*args, **kwargs)

    def path_chmod(self, *args, **kwargs):
        look()
        return real_path_chmod(self, *args, **kwargs)

    monkeypatch.setattr(os, "chmod", chmod)
    monkeypatch.setattr(os, "fchmod", fchmod)
    monkeypatch.setattr(Path, "chmod", path_chmod)
    assert envfile.write_env_file(path) is True
    look()
    exposed = [(oct(mode), size) for mode, size in seen if size and mode & 0o077]
    assert exposed == []


def test_each_file_gets_new_secrets(tmp_path):
    envfile.write_env_file(tmp_path / "a.env")
    envfile.write_env_file(tmp_path / "b.env")
    first, second = dotenv_values(tmp_path / "a.env"), dotenv_values(tmp_path / "b.env")
    assert all(first[name] != second[name] for name in NAMES)


def test_never_overwrites_an_existing_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text("JWT_SECRET=keep-me\n# operator's own notes\n")
    path.chmod(0o640)
    assert envfile.write_env_file(path) is False
    assert path.read_text() == "JWT_SECRET=keep-me\n# operator's own notes\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_second_run_keeps_the_first_runs_secrets(tmp_path):
    path = tmp_path / ".env"
    assert envfile.write_env_file(path) is True
    before = path.read_bytes()
    assert envfile.write_env_file(path) is False
    assert path.read_bytes() == before


def test_does_not_follow_a_symlink_planted_at_the_path(tmp_path):
    target = tmp_path / "elsewhere"
    link = tmp_path / ".env"
    link.symlink_to(target)
    assert envfile.write_env_file(link) is False
    assert not target.exists()


def test_generated_secrets_pass_the_production_checks(tmp_path, monkeypatch):
    path = tmp_path / ".env"
    envfile.write_env_file(path)
    for name in NAMES:
        monkeypatch.delenv(name)
    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setitem(Settings.model_config, "env_file", path)
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.app_env == "prod"
    assert settings.jwt_secret.get_secret_value() == dotenv_values(path)["JWT_SECRET"]


def test_command_line_writes_then_keeps(tmp_path):
    path = tmp_path / "cli.env"
    run = [sys.executable, "-m", "distokoloshe.envfile", str(path)]
    first = subprocess.run(run, capture_output=True, text=True, timeout=60, check=True)
    assert "wrote" in first.stdout and path.exists()
    content = path.read_bytes()
    second = subprocess.run(run, capture_output=True, text=True, timeout=60, check=True)
    assert "kept existing" in second.stdout
    assert path.read_bytes() == content
