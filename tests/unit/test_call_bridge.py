"""The call bridge's checks on what crosses it: small JSON objects out, anything in."""

from __future__ import annotations

import re

import pytest

from distokoloshe.settings import PROJECT_ROOT
from distokoloshe.state.call_bridge import (
    CLIP_ERRORS,
    MAX_DATA_BYTES,
    WIRE_TOPIC,
    decode_data,
    encode_data,
    wire_topic,
)


def test_a_small_json_object_goes_out_compact():
    assert encode_data({"clip": 3, "title": "Airhorn"}) == '{"clip":3,"title":"Airhorn"}'


@pytest.mark.parametrize("data", [
    [1, 2], "text", None, {"x": float("nan")}, {"x": object()}, {"x": "y" * MAX_DATA_BYTES},
])
def test_anything_else_is_not_sent(data):
    assert encode_data(data) is None


@pytest.mark.parametrize("payload", [
    None, 3, "", "not json", "[1]", '"text"', "{" * 5000, '{"x": "' + "y" * 5000 + '"}',
    "\ud800", b'{"x": 1}',
])
def test_junk_from_the_call_is_dropped(payload):
    assert decode_data(payload) is None


def test_an_object_from_the_call_is_read():
    assert decode_data('{"clip": 3, "sender": "forged"}') == {"clip": 3, "sender": "forged"}


def test_topics_name_an_extension_and_its_topic():
    assert WIRE_TOPIC.fullmatch(wire_topic("soundboard", "played")).groups() == (
        "soundboard", "played")
    for junk in ("moderation", "ext:Soundboard:played", "ext:soundboard:", "ext:x:played",
                 "ext:soundboard:played:more"):
        assert WIRE_TOPIC.fullmatch(junk) is None


def test_every_clip_result_the_browser_reports_is_worded_in_python():
    source = (PROJECT_ROOT / "components_js/livekit/call_bridge.jsx").read_text()
    codes = set(re.findall(r"return \"(\w+)\"", source))
    assert codes == {"playing", "undecodable", "not_published"}
    assert codes - {"playing"} <= CLIP_ERRORS.keys()
