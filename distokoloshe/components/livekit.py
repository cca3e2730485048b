"""Python wrappers for the call's React components in components_js/livekit/.

`live_kit_room` is the provider: it owns the connection and the room, and its parts
(microphone, camera, screen share, remote audio, device list, video, level meters) must
sit inside it, where they read the room from its React context. Each part takes a few
typed props and reports codes and booleans, never sentences: the wording lives in the
states. livekit-client itself is loaded only once a call connects.
"""

from __future__ import annotations

from typing import Literal

import reflex as rx

from distokoloshe.components.js import js_module
from distokoloshe.state.call_bridge import ClipToPlay, OutgoingData
from distokoloshe.state.preferences import MicProcessing
from distokoloshe.state.screen_share import CodecName, SharePreset

LIVEKIT_CLIENT = "livekit-client@2.23.0"
# RNNoise in WebAssembly with its AudioWorklet (components_js/livekit/rnnoise.js says why this
# package); bundled into a chunk of its own that loads only when RNNoise is turned on.
NOISE_SUPPRESSOR = "@sapphi-red/web-noise-suppressor@0.4.1"


class LiveKitRoom(rx.Component):
    """Connects to a LiveKit room while it has a server URL and a token.

    on_disconnected carries (reason_code, final): a lower-case LiveKit DisconnectReason
    ("room_deleted", "participant_removed", ...), "connect_failed" or "e2ee_unsupported";
    final is False when a rejoin is worth trying. on_error carries (code, detail): codes
    "e2ee_unsupported" and "failed" (detail is the browser's message).
    """

    library = js_module("livekit/room.jsx")
    tag = "LiveKitRoom"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    server_url: rx.Var[str]
    token: rx.Var[str]
    e2ee_key: rx.Var[str]
    e2ee_key_index: rx.Var[int]
    e2ee_required: rx.Var[bool]

    on_connection: rx.EventHandler[lambda state: [state]]
    on_disconnected: rx.EventHandler[lambda reason, final: [reason, final]]
    on_participants: rx.EventHandler[lambda participants: [participants]]
    on_encryption: rx.EventHandler[lambda status: [status]]
    on_key_epoch: rx.EventHandler[lambda epoch: [epoch]]
    on_error: rx.EventHandler[lambda code, detail: [code, detail]]


class Microphone(rx.Component):
    """Publishes the microphone while sending: enabled (or the push-to-talk key held) and
    not deafened, processed as `processing` says (RNNoise, the voice gate). on_transmitting
    reports sending with the voice gate open; on_noise_fallback that RNNoise cannot run in
    this browser (its own suppression is used instead). on_error codes: not_allowed,
    not_found, in_use, failed."""

    library = js_module("livekit/microphone.jsx")
    tag = "Microphone"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT, NOISE_SUPPRESSOR]

    enabled: rx.Var[bool]
    deafened: rx.Var[bool]
    device_id: rx.Var[str]
    push_to_talk: rx.Var[bool]
    push_to_talk_key: rx.Var[str]  # a KeyboardEvent.code, e.g. "Space"
    processing: rx.Var[MicProcessing]

    on_transmitting: rx.EventHandler[lambda transmitting: [transmitting]]
    on_talking_while_muted: rx.EventHandler[lambda: []]
    on_noise_fallback: rx.EventHandler[lambda: []]
    on_error: rx.EventHandler[lambda code, detail: [code, detail]]


class Camera(rx.Component):
    """Publishes the camera while enabled. on_error codes as for the microphone."""

    library = js_module("livekit/camera.jsx")
    tag = "Camera"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    enabled: rx.Var[bool]
    device_id: rx.Var[str]

    on_error: rx.EventHandler[lambda code, detail: [code, detail]]


class ScreenShare(rx.Component):
    """Shares this user's screen while enabled, captured as `capture` says.

    on_result carries (sharing, codec used, code, detail); codes: "" (as picked),
    av1_e2ee or not_encodable (another codec is used), not_allowed (the user cancelled),
    not_found, in_use, failed, ended (the call ended). on_codecs lists what the browser
    can encode, of codec_mime_types' keys.
    """

    library = js_module("livekit/screen_share.jsx")
    tag = "ScreenShare"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    enabled: rx.Var[bool]
    capture: rx.Var[SharePreset]
    codec: rx.Var[CodecName]
    audio: rx.Var[bool]
    codec_mime_types: rx.Var[dict[str, str]]

    on_result: rx.EventHandler[lambda sharing, codec, code, detail: [sharing, codec, code, detail]]
    on_codecs: rx.EventHandler[lambda codecs: [codecs]]


class RemoteAudio(rx.Component):
    """Plays everyone else, at this listener's gains (identity -> 0..2: of their voice,
    their screen share's audio, the clips they play through extensions), to the chosen
    output device, unless deafened; chimes when someone joins or leaves."""

    library = js_module("livekit/remote_audio.jsx")
    tag = "RemoteAudio"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    gains: rx.Var[dict[str, float]]
    screen_gains: rx.Var[dict[str, float]]
    clip_gains: rx.Var[dict[str, float]]
    deafened: rx.Var[bool]
    output_device_id: rx.Var[str]
    chimes: rx.Var[bool]


class DeviceList(rx.Component):
    """Reports the browser's devices during a call: [{kind, device_id, label}, ...]."""

    library = js_module("livekit/devices.jsx")
    tag = "DeviceList"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    on_devices: rx.EventHandler[lambda devices: [devices]]


class ParticipantVideo(rx.Component):
    """A participant's camera or shared screen."""

    library = js_module("livekit/participant_video.jsx")
    tag = "ParticipantVideo"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    identity: rx.Var[str]
    source: rx.Var[Literal["camera", "screen"]]
    fit: rx.Var[Literal["fit", "fill"]]  # letterbox, or crop
    # carried out when command_seq changes, right after the user's click
    command: rx.Var[Literal["", "fullscreen", "pip"]]
    command_seq: rx.Var[int]


class ParticipantLevel(rx.Component):
    """How loud a remote participant ("<identity>", or "<identity>#screen" for their
    share's audio) is for this listener, after their volume."""

    library = js_module("livekit/participant_level.jsx")
    tag = "ParticipantLevel"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    identity: rx.Var[str]


class SpeakingFrame(rx.Component):
    """A participant's tile (its children), marked data-speaking="true" and labelled
    `speaking_label` instead of `label` while LiveKit hears them speak. Speaking never
    goes through Python: in a busy call it changes many times a second."""

    library = js_module("livekit/speaking_frame.jsx")
    tag = "SpeakingFrame"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    identity: rx.Var[str]
    label: rx.Var[str]
    speaking_label: rx.Var[str]


class OwnLevel(rx.Component):
    """This user's own microphone level as the voice gate hears it, in dBFS, with a mark
    at the gate's threshold (data-level-db, data-threshold-db)."""

    library = js_module("livekit/own_level.jsx")
    tag = "OwnLevel"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]


class ConnectionStats(rx.Component):
    """While mounted, reports once a second the connection as this browser measures it: for
    this user's own identity what it sends (and the loss of what it receives), for another
    what it receives of them. on_stats carries {identity, rtt_ms, jitter_ms, loss_in_pct,
    loss_out_pct, audio_codec, video_codec, bitrate_kbps, route ("udp", "tcp", "turn" or
    ""), turn_transport}; a number not measured yet is -1."""

    library = js_module("livekit/connection_stats.jsx")
    tag = "ConnectionStats"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    identity: rx.Var[str]

    on_stats: rx.EventHandler[lambda stats: [stats]]


class ServerNotices(rx.Component):
    """Passes on what the server (never a participant) announces on the call's
    "moderation" data topic: {"action": "muted", "identity": ..., "by": display name}."""

    library = js_module("livekit/server_notices.jsx")
    tag = "ServerNotices"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    on_notice: rx.EventHandler[lambda notice: [notice]]


class CallBridge(rx.Component):
    """Carries extensions' data messages and clips into the call (state/call_bridge.py).

    Each `outbox` entry goes to everyone else in the call on its topic, sealed with a key
    derived from `e2ee_key` when there is one, then on_sent(seq) says up to which it went.
    What another participant sends on an "ext:" topic (and, with a key, only what it opens)
    comes out as on_received(topic, identity, name, payload), the sender as LiveKit
    attached it.
    `clip` is decoded and played on the extension's own track, "clip:<extension>";
    on_clip(seq, code) follows: "playing", "undecodable" or "not_published"."""

    library = js_module("livekit/call_bridge.jsx")
    tag = "CallBridge"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    e2ee_key: rx.Var[str]
    outbox: rx.Var[list[OutgoingData]]
    clip: rx.Var[ClipToPlay]

    on_received: rx.EventHandler[lambda topic, identity, name, payload:
                                 [topic, identity, name, payload]]
    on_sent: rx.EventHandler[lambda seq: [seq]]
    on_clip: rx.EventHandler[lambda seq, code: [seq, code]]


class ConnectionCheck(rx.Component):
    """Runs the connection checks (the websocket to LiveKit, WebRTC, TURN, publishing the
    microphone) while it has a server URL and a token, outside any call. on_result carries
    (check, status, udp, tcp): check one of "websocket", "webrtc", "turn", "microphone";
    status "running", "success", "failed" or "skipped"; udp and tcp, for "webrtc", whether
    the server offered media over them. on_done follows the last."""

    library = js_module("livekit/connection_check.jsx")
    tag = "ConnectionCheck"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    server_url: rx.Var[str]
    token: rx.Var[str]

    on_result: rx.EventHandler[lambda check, status, udp, tcp: [check, status, udp, tcp]]
    on_done: rx.EventHandler[lambda: []]


live_kit_room = LiveKitRoom.create
microphone = Microphone.create
camera = Camera.create
screen_share = ScreenShare.create
remote_audio = RemoteAudio.create
device_list = DeviceList.create
participant_video = ParticipantVideo.create
participant_level = ParticipantLevel.create
own_level = OwnLevel.create
speaking_frame = SpeakingFrame.create
connection_stats = ConnectionStats.create
server_notices = ServerNotices.create
connection_check = ConnectionCheck.create
call_bridge = CallBridge.create
