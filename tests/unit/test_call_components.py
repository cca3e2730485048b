"""The browser components stay small, typed and wordless: the limits the call's split into
a provider and parts keeps (components_js/livekit/), checked on the source."""

from __future__ import annotations

import inspect
import re
import typing

import pytest

from distokoloshe.components import js, livekit
from distokoloshe.settings import PROJECT_ROOT
from distokoloshe.state.call import MEDIA_ERRORS
from distokoloshe.state.screen_share import CODECS, SHARE_NOTES

COMPONENTS_JS = PROJECT_ROOT / "components_js"
JS_FILES = sorted(p for p in COMPONENTS_JS.rglob("*") if p.suffix in (".js", ".jsx"))
WRAPPERS = [cls for module in (js, livekit)
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == module.__name__ and getattr(cls, "tag", None)]
COMMENTS = re.compile(r"/\*.*?\*/|(?<![:\"'`])//[^\n]*", re.S)
STRINGS = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`")
# Three words or more with a capital: wording meant for people, which belongs in Python.
SENTENCE = re.compile(r"\b[A-Z][a-z]*(?: \S+){2,}")


def _code(path) -> str:
    return COMMENTS.sub("", path.read_text())


def _is_event(field) -> bool:
    return typing.get_origin(field.annotated_type) is typing.Annotated


@pytest.mark.parametrize("path", JS_FILES, ids=lambda p: str(p.relative_to(COMPONENTS_JS)))
def test_every_js_file_is_small_and_wordless(path):
    assert len(path.read_text().splitlines()) <= 200
    code = _code(path)
    sentences = [s for s in STRINGS.findall(code) if SENTENCE.search(s)
                 and "must be placed inside" not in s]  # a developer's error, not the user's
    assert sentences == []
    assert not re.search(r"\beval\s*\(|new Function\s*\(|\bwindow\.\w+\s*=", code)
    # livekit-client only ever through the lazy import in livekit/load.js
    assert not re.search(r"^\s*import[^;]*from\s+[\"']livekit-client", code, re.M)


def test_one_keydown_listener_serves_every_keyboard_feature():
    listeners = [p.name for p in JS_FILES if re.search(r"addEventListener\(\s*[\"']key", _code(p))]
    assert listeners == []  # keyboard.js adds its listeners by name from a list
    assert [p.name for p in JS_FILES if "addEventListener(name" in _code(p)] == ["keyboard.js"]


@pytest.mark.parametrize("cls", WRAPPERS, ids=lambda c: c.__name__)
def test_every_wrapper_has_few_typed_props(cls):
    fields = cls.get_props()
    data = {name: f for name, f in fields.items() if not _is_event(f)}
    events = [name for name, f in fields.items() if _is_event(f)]
    assert len(data) <= 8, sorted(data)
    assert len(events) <= 6, events
    for name, field in data.items():
        assert typing.get_origin(field.annotated_type) is not None, f"{name} is untyped"
    if cls.__module__ == livekit.__name__:
        assert cls.lib_dependencies[0] == livekit.LIVEKIT_CLIENT == "livekit-client@2.23.0"
        # RNNoise only where the microphone needs it, pinned exactly
        assert cls.lib_dependencies[1:] in ([], ["@sapphi-red/web-noise-suppressor@0.4.1"])


def test_every_code_the_browser_reports_is_worded_in_python():
    codes = set(re.findall(r"return \"(\w+)\"", (COMPONENTS_JS / "livekit/media_errors.js")
                           .read_text()))
    assert codes == {"not_allowed", "not_found", "in_use", "failed"}
    for kind in ("microphone", "camera"):
        assert {(kind, code) for code in codes} <= MEDIA_ERRORS.keys()
    # a cancelled share picker (not_allowed) deliberately says nothing
    assert codes - {"not_allowed"} <= SHARE_NOTES.keys()
    codecs_js = (COMPONENTS_JS / "livekit/codecs.js").read_text()
    assert set(re.findall(r"code: \"(\w+)\"", codecs_js)) - {""} <= SHARE_NOTES.keys()
    quoted = set(re.findall(r"\"(\w+)\"", codecs_js))
    assert quoted - {"video"} - SHARE_NOTES.keys() <= CODECS.keys()
    room_js = (COMPONENTS_JS / "livekit/room.jsx").read_text()
    for code in re.findall(r"emit\(\"onError\", \"(\w+)\"", room_js):
        assert ("call", code) in MEDIA_ERRORS
