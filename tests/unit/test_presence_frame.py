"""The presence hub writes its Socket.IO frames itself (a change is serialized once); they must
say exactly what python-socketio would send, or Reflex's frontend would not apply them."""

from __future__ import annotations

import json

import socketio
from engineio import packet as engineio_packet
from socketio import packet as socketio_packet

from distokoloshe.realtime.frames import FIELD_MARKER, delta_frame, encode_json

STATE = "reflex___state____state.distokoloshe___state___presence____presence_state"
PACKET_CLASS = socketio.AsyncServer().packet_class


def test_a_hand_built_delta_is_what_python_socketio_encodes():
    values = {"people": [{"id": 7, "name": 'Zoë "Z" ☃ </script>', "initial": "Z"}],
              "online": [7], "rooms": [{"id": 1, "members": [], "encryption_required": True}]}

    built = delta_frame(STATE, {name: encode_json(value) for name, value in values.items()},
                        namespace="/_event", packet_class=PACKET_CLASS).encode()

    delta = {STATE: {name + FIELD_MARKER: value for name, value in values.items()}}
    reference = PACKET_CLASS(socketio_packet.EVENT, namespace="/_event",
                             data=["event", {"delta": delta, "events": []}]).encode()
    expected = engineio_packet.Packet(engineio_packet.MESSAGE, reference).encode()
    # The same envelope, and the same JSON (escaping may differ: Reflex installs its own
    # JSON module in python-socketio).
    envelope = "42/_event,"
    assert built.startswith(envelope) and expected.startswith(envelope)
    assert json.loads(built[len(envelope):]) == json.loads(expected[len(envelope):])
