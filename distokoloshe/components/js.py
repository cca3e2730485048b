"""Python wrappers for the React components in components_js/.

Only props go in and only typed events come out (see ARCHITECTURE.md). The JSX files
are linked into Reflex's external assets, the same mechanism `rx.asset(shared=True)`
uses, so Vite bundles them and their pinned npm dependencies.
"""

from __future__ import annotations

import os
from pathlib import Path

import reflex as rx

from distokoloshe.settings import PROJECT_ROOT

COMPONENTS_JS = PROJECT_ROOT / "components_js"
LIVEKIT_CLIENT = "livekit-client@2.23.0"


def js_module(filename: str) -> str:
    """The import path of components_js/<filename>, linked into assets/external/."""
    source = COMPONENTS_JS / filename
    if not source.is_file():
        raise FileNotFoundError(source)
    link_dir = Path.cwd() / "assets" / "external" / "components_js"
    link_dir.mkdir(parents=True, exist_ok=True)
    link = link_dir / filename
    if not (link.is_symlink() and link.resolve() == source.resolve()):
        staged = link_dir / f".{filename}.{os.getpid()}.tmp"
        staged.unlink(missing_ok=True)
        staged.symlink_to(source)
        staged.replace(link)  # atomic, so parallel compiles never see a half-made link
    return f"$/public/external/components_js/{filename}"


class LiveKitRoom(rx.Component):
    """Connects to a LiveKit room while it has a server URL and a token."""

    library = js_module("livekit_room.jsx")
    tag = "LiveKitRoom"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    server_url: rx.Var[str]
    token: rx.Var[str]
    mic_enabled: rx.Var[bool]
    cam_enabled: rx.Var[bool]
    deafened: rx.Var[bool]
    audio_input_id: rx.Var[str]
    audio_output_id: rx.Var[str]
    video_input_id: rx.Var[str]
    gains: rx.Var[dict[str, float]]
    e2ee_key: rx.Var[str]
    screen_share: rx.Var[bool]
    share_preset: rx.Var[str]
    share_codec: rx.Var[str]
    share_audio: rx.Var[bool]
    screen_gains: rx.Var[dict[str, float]]
    e2ee_key_index: rx.Var[int]
    e2ee_required: rx.Var[bool]
    push_to_talk: rx.Var[bool]
    push_to_talk_key: rx.Var[str]
    noise_suppression: rx.Var[bool]
    echo_cancellation: rx.Var[bool]
    auto_gain_control: rx.Var[bool]
    join_leave_sounds: rx.Var[bool]

    on_connection_change: rx.EventHandler[lambda state, reason: [state, reason]]
    on_participants: rx.EventHandler[lambda participants: [participants]]
    on_media_error: rx.EventHandler[lambda kind, message: [kind, message]]
    on_devices: rx.EventHandler[lambda devices: [devices]]
    on_transmitting: rx.EventHandler[lambda transmitting: [transmitting]]
    on_talking_while_muted: rx.EventHandler[lambda: []]
    on_encryption: rx.EventHandler[lambda status: [status]]
    on_key_epoch: rx.EventHandler[lambda epoch: [epoch]]
    on_codecs: rx.EventHandler[lambda codecs: [codecs]]
    on_share_result: rx.EventHandler[lambda sharing, codec, note: [sharing, codec, note]]


class ParticipantVideo(rx.Component):
    """A participant's camera or shared screen; must sit inside LiveKitRoom."""

    library = js_module("livekit_room.jsx")
    tag = "ParticipantVideo"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    identity: rx.Var[str]
    source: rx.Var[str]      # "camera" (default) or "screen"
    fit: rx.Var[str]         # "fit" (letterbox) or "fill" (crop)
    command: rx.Var[str]     # "fullscreen" or "pip", carried out when command_seq changes
    command_seq: rx.Var[int]


class ParticipantLevel(rx.Component):
    """How loud a remote participant is for this listener, after their volume."""

    library = js_module("livekit_room.jsx")
    tag = "ParticipantLevel"
    lib_dependencies: list[str] = [LIVEKIT_CLIENT]

    identity: rx.Var[str]


class KeyCapture(rx.Component):
    """A button that reports the next physical key pressed (KeyboardEvent.code)."""

    library = js_module("keyboard_shortcuts.jsx")
    tag = "KeyCapture"

    value: rx.Var[str]
    on_capture: rx.EventHandler[lambda code: [code]]


class AccountTheme(rx.Component):
    """Applies the theme saved to the account and reports the user's changes to it."""

    library = js_module("account_theme.jsx")
    tag = "AccountTheme"

    theme: rx.Var[str]
    on_theme_change: rx.EventHandler[lambda theme: [theme]]


class KeyboardShortcuts(rx.Component):
    library = js_module("keyboard_shortcuts.jsx")
    tag = "KeyboardShortcuts"

    keys: rx.Var[list[str]]
    on_shortcut: rx.EventHandler[lambda key: [key]]


live_kit_room = LiveKitRoom.create
participant_video = ParticipantVideo.create
participant_level = ParticipantLevel.create
key_capture = KeyCapture.create
account_theme = AccountTheme.create
keyboard_shortcuts = KeyboardShortcuts.create
