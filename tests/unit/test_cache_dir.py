"""The tests find what ./tokoloshe cached where the entry script put it."""

from pathlib import Path

from tests.support.cache import cache_dir


def test_cache_dir_follows_the_entry_script(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DISTOKOLOSHE_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir() == tmp_path / ".cache" / "distokoloshe"
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache_dir() == Path("/xdg/distokoloshe")
    monkeypatch.setenv("DISTOKOLOSHE_CACHE", "")  # empty counts as unset, as in bash's :-
    assert cache_dir() == Path("/xdg/distokoloshe")
    monkeypatch.setenv("DISTOKOLOSHE_CACHE", "/mine")
    assert cache_dir() == Path("/mine")
