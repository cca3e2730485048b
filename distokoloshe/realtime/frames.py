"""Socket.IO frames that Reflex's frontend applies as a state delta, put together from
values already encoded as JSON: a change is serialized once, and python-socketio never
walks it (its own packets look for binary data in every nested value).

This is Reflex's wire format, `{"delta": {state: {var_rx_state_: value}}, "events": []}`,
pinned with Reflex in pyproject; tests/unit/test_presence_frame.py holds these frames to
python-socketio's own encoding.
"""

from __future__ import annotations

import json

from engineio import packet as engineio_packet
from socketio import packet as socketio_packet

FIELD_MARKER = "_rx_state_"


def encode_json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _message(payload: str, namespace: str, packet_class) -> engineio_packet.Packet:
    envelope = packet_class(socketio_packet.EVENT, namespace=namespace,
                            binary=False).encode()   # "2/_event,"
    return engineio_packet.Packet(engineio_packet.MESSAGE, envelope + payload)


def delta_frame(state_name: str, encoded: dict[str, str], *, namespace: str,
                packet_class=socketio_packet.Packet) -> engineio_packet.Packet:
    """The event that sets each var in `encoded` (name -> its JSON) of `state_name`."""
    fields = ",".join(f"{encode_json(name + FIELD_MARKER)}:{text}"
                      for name, text in encoded.items())
    payload = (f'["event",{{"delta":{{{encode_json(state_name)}:{{{fields}}}}},'
               f'"events":[]}}]')
    return _message(payload, namespace, packet_class)


def event_frame(name: str, *, namespace: str,
                packet_class=socketio_packet.Packet) -> engineio_packet.Packet:
    """An update that only asks the tab to send the event `name` (a state's handler, by its
    full name) back, as a handler's returned event would."""
    event = {"name": name, "payload": {}}
    return _message(encode_json(["event", {"delta": {}, "events": [event]}]), namespace,
                    packet_class)
