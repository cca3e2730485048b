"""The call: participant tiles, the control bar, device settings and shortcuts."""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.connection_check import connection_check_link
from distokoloshe.components.connection_stats import stats_button
from distokoloshe.components.extension_places import place
from distokoloshe.components.forms import error_callout
from distokoloshe.components.js import key_capture, keyboard_shortcuts
from distokoloshe.components.livekit import (
    call_bridge,
    camera,
    device_list,
    live_kit_room,
    microphone,
    participant_level,
    participant_video,
    remote_audio,
    screen_share,
    server_notices,
    speaking_frame,
)
from distokoloshe.components.screen_share import (
    screen_viewer,
    share_button,
    share_note,
    share_settings,
)
from distokoloshe.components.voice import gate_settings, noise_fallback_note, noise_settings
from distokoloshe.extension_spec import Place
from distokoloshe.state.call import SHORTCUTS, CallState, ParticipantView
from distokoloshe.state.call_bridge import CallBridgeState
from distokoloshe.state.devices import DevicesState, DeviceView
from distokoloshe.state.preferences import PreferencesState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.screen_share import CODEC_MIME_TYPES, ScreenShareState

QUALITY_LABELS = {"excellent": "Excellent", "good": "Good", "poor": "Poor", "lost": "Lost"}
SHORTCUT_HELP = [("M", "mute or unmute"), ("D", "deafen or undeafen"), ("V", "camera on or off"),
                 ("Shift+L", "leave the call")]


def connection_badge() -> rx.Component:
    return rx.match(
        CallState.connection,
        ("connected", rx.badge(rx.icon("radio", size=14), "Connected", color_scheme="green")),
        ("connecting", rx.badge(rx.spinner(size="1"), "Connecting…", color_scheme="gray")),
        ("reconnecting", rx.badge(rx.spinner(size="1"), "Reconnecting…", color_scheme="amber")),
        rx.badge("Not in the call", color_scheme="gray"),
    )


def hearing_controls(participant: rx.Var[ParticipantView]) -> rx.Component:
    """This listener's own volume for a remote participant, saved to their account."""
    # (not ObjectVar.get: its default would also replace a saved 0%)
    known = PreferencesState.volumes.contains(participant.identity)
    volume = rx.cond(known, PreferencesState.volumes[participant.identity], 100)
    muted_for_me = rx.cond(known, PreferencesState.muted_for_me[participant.identity], False)
    return rx.vstack(
        rx.hstack(
            rx.el.input(
                type="range",
                min=0,
                max=200,
                step=5,
                default_value=volume,
                # one save per pause, not one per pixel dragged
                on_change=lambda value: PreferencesState.set_volume(participant.identity,
                                                              value).debounce(150),
                aria_label="Volume for " + participant.name,
                disabled=muted_for_me,
                class_name="dtk-volume",
            ),
            rx.text(volume.to_string() + "%", size="1", min_width="3em",
                    text_align="right", data_testid="volume-value"),
            rx.icon_button(
                rx.cond(muted_for_me, rx.icon("volume_x", size=16),
                        rx.icon("volume_2", size=16)),
                on_click=PreferencesState.toggle_muted_for_me(participant.identity),
                aria_label="Mute " + participant.name + " for me",
                aria_pressed=muted_for_me,
                variant=rx.cond(muted_for_me, "solid", "soft"),
                color_scheme=rx.cond(muted_for_me, "red", "gray"),
                size="1",
            ),
            width="100%",
            align="center",
            spacing="2",
        ),
        participant_level(identity=participant.identity, aria_label="Level of " + participant.name,
                          class_name="dtk-level"),
        width="100%",
        spacing="1",
    )


def encryption_badge() -> rx.Component:
    return rx.match(
        CallState.encryption,
        ("on", rx.cond(
            CallState.everyone_encrypted,
            rx.badge(rx.icon("lock", size=14), "End-to-end encrypted", color_scheme="green",
                     data_testid="encryption-status"),
            rx.badge(rx.icon("lock_open", size=14), "Not fully encrypted", color_scheme="amber",
                     data_testid="encryption-status"),
        )),
        ("off", rx.badge(rx.icon("lock_open", size=14), "Not encrypted in this browser",
                         color_scheme="amber", data_testid="encryption-status")),
        rx.fragment(),
    )


def transmit_badge() -> rx.Component:
    return rx.cond(
        CallState.transmitting,
        rx.badge(rx.icon("mic", size=14), "Transmitting", color_scheme="green",
                 data_testid="transmitting"),
        rx.cond(PreferencesState.push_to_talk,
                rx.badge("Hold " + PreferencesState.push_to_talk_key + " to talk",
                         color_scheme="gray", data_testid="push-to-talk-idle")),
    )


def participant_tile(participant: rx.Var[ParticipantView]) -> rx.Component:
    quality = rx.match(participant.quality, *QUALITY_LABELS.items(), "Unknown")
    return speaking_frame(rx.card(
        rx.vstack(
            rx.box(
                participant_video(identity=participant.identity, width="100%",
                                 aspect_ratio="16 / 9", object_fit="cover", border_radius="6px"),
                rx.cond(
                    ~participant.cam_on,
                    rx.center(rx.avatar(fallback=participant.initial, size="6", radius="full"),
                              width="100%", aspect_ratio="16 / 9"),
                ),
                width="100%",
            ),
            rx.hstack(
                rx.text(participant.name, weight="medium", overflow="hidden",
                        text_overflow="ellipsis", white_space="nowrap"),
                rx.cond(participant.is_local, rx.text("(you)", color_scheme="gray", size="1")),
                rx.spacer(),
                rx.cond(participant.mic_on,
                        rx.icon("mic", size=16, aria_label="microphone on"),
                        rx.icon("mic_off", size=16, color="var(--red-9)",
                                aria_label="microphone off")),
                rx.cond(participant.cam_on,
                        rx.icon("video", size=16, aria_label="camera on"),
                        rx.icon("video_off", size=16, aria_label="camera off")),
                rx.cond(participant.sharing,
                        rx.icon("screen_share", size=16, color="var(--green-9)",
                                aria_label="sharing their screen", title="Sharing their screen")),
                stats_button(participant, quality),
                rx.cond(
                    CallState.i_own_room & ~participant.is_local & participant.mic_on,
                    rx.icon_button(rx.icon("mic_off", size=14),
                                   on_click=CallState.mute_for_everyone(participant.identity),
                                   aria_label="Mute " + participant.name + " for everyone",
                                   title="Mute for everyone", variant="ghost", size="1"),
                ),
                rx.cond(
                    CallState.i_own_room & ~participant.is_local,
                    rx.icon_button(rx.icon("user_x", size=14),
                                   on_click=CallState.remove_from_call(participant.identity),
                                   aria_label="Remove " + participant.name + " from the call",
                                   title="Remove from the call", variant="ghost",
                                   color_scheme="red", size="1"),
                ),
                rx.cond(participant.undecryptable,
                        rx.icon("shield_alert", size=16, color="var(--red-9)",
                                aria_label="media cannot be decrypted",
                                title="Media from this participant cannot be decrypted")),
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.cond(~participant.is_local, hearing_controls(participant)),
            spacing="2",
            width="100%",
        ),
        height="100%",
    ),
        # the speaking ring (assets/app.css) follows LiveKit's active-speaker detection
        identity=participant.identity,
        label=participant.name,
        speaking_label=participant.name + ", speaking",
        data_testid="participant-tile",
        data_identity=participant.identity,
        data_mic=rx.cond(participant.mic_on, "on", "off"),
        data_undecryptable=rx.cond(participant.undecryptable, "true", "false"),
    )


def control_button(label, icon: str | tuple, on_click, *, pressed=None, color_scheme="gray",
                   shortcut: str) -> rx.Component:
    """`icon` is a name, or (condition, name if true, name if false)."""
    if isinstance(icon, tuple):
        condition, when_true, when_false = icon
        glyph = rx.cond(condition, rx.icon(when_true, size=18, aria_hidden="true"),
                        rx.icon(when_false, size=18, aria_hidden="true"))
    else:
        glyph = rx.icon(icon, size=18, aria_hidden="true")
    return rx.button(
        glyph,
        rx.text(label, display=["none", "inline"]),
        on_click=on_click,
        aria_label=label,
        aria_pressed=pressed,
        aria_keyshortcuts=shortcut,
        title=f"{label} ({shortcut})",
        variant="soft",
        color_scheme=color_scheme,
        size="3",
    )


def device_select(label: str, kind: str, options: rx.Var[list[DeviceView]],
                  value: rx.Var[str]) -> rx.Component:
    field_id = f"device-{kind}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="dtk-label"),
        rx.el.select(
            rx.el.option("System default", value=""),
            rx.foreach(options, lambda d: rx.el.option(d.label, value=d.device_id)),
            id=field_id,
            value=value,
            on_change=lambda v: DevicesState.choose_device(kind, v),
            disabled=options.length() == 0,
            class_name="dtk-select",
        ),
        spacing="1",
        width="100%",
    )


def preference_switch(label: str, key: str, checked: rx.Var[bool]) -> rx.Component:
    field_id = f"pref-{key}"
    return rx.hstack(
        rx.el.label(label, html_for=field_id, class_name="dtk-label"),
        rx.spacer(),
        rx.switch(id=field_id, checked=checked,
                  on_change=lambda value: PreferencesState.set_preference(key, value)),
        width="100%",
        align="center",
    )


def device_settings() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.icon_button(rx.icon("settings", size=18), aria_label="Audio and video settings",
                           variant="soft", color_scheme="gray", size="3"),
        ),
        rx.dialog.content(
            rx.dialog.title("Audio and video"),
            rx.dialog.description("Changes apply at once and are remembered in this browser.",
                                  size="2", color_scheme="gray"),
            rx.vstack(
                device_select("Microphone", "audioinput", DevicesState.microphones,
                              DevicesState.audio_input_id),
                device_select("Speaker", "audiooutput", DevicesState.speakers,
                              DevicesState.audio_output_id),
                device_select("Camera", "videoinput", DevicesState.cameras,
                              DevicesState.video_input_id),
                rx.heading("Your audio", size="2", as_="h3", margin_top="0.5em"),
                rx.text("Saved to your account.", size="1", color_scheme="gray"),
                preference_switch("Push-to-talk", "push_to_talk", PreferencesState.push_to_talk),
                rx.hstack(
                    rx.el.label("Push-to-talk key", html_for="ptt-key", class_name="dtk-label"),
                    rx.spacer(),
                    key_capture(value=PreferencesState.push_to_talk_key,
                                on_capture=PreferencesState.bind_push_to_talk_key, id="ptt-key",
                                class_name="dtk-key"),
                    width="100%",
                    align="center",
                ),
                noise_settings(),
                gate_settings(),
                preference_switch("Echo cancellation", "echo_cancellation",
                                  PreferencesState.echo_cancellation),
                preference_switch("Automatic gain control", "auto_gain_control",
                                  PreferencesState.auto_gain_control),
                preference_switch("Join and leave sounds", "join_leave_sounds",
                                  PreferencesState.join_leave_sounds),
                error_callout(PreferencesState.preferences_error, test_id="preferences-error"),
                place(Place.SETTINGS),
                rx.heading("Keyboard shortcuts", size="2", as_="h3", margin_top="0.5em"),
                rx.el.dl(*[rx.fragment(rx.el.dt(rx.code(key)), rx.el.dd(text))
                           for key, text in SHORTCUT_HELP], class_name="dtk-shortcuts"),
                spacing="3",
                margin_top="1em",
            ),
            rx.flex(connection_check_link(new_tab=True), rx.spacer(),
                    rx.dialog.close(rx.button("Done")), align="center", margin_top="1em"),
        ),
    )


def control_bar() -> rx.Component:
    return rx.hstack(
        control_button(rx.cond(CallState.mic_on & ~CallState.deafened, "Mute", "Unmute"),
                       (CallState.mic_on & ~CallState.deafened, "mic", "mic_off"),
                       CallState.toggle_mic, pressed=~CallState.mic_on, shortcut="M"),
        control_button(rx.cond(CallState.deafened, "Undeafen", "Deafen"),
                       (CallState.deafened, "headphone_off", "headphones"),
                       CallState.toggle_deafen, pressed=CallState.deafened, shortcut="D"),
        control_button(rx.cond(CallState.camera_on, "Stop camera", "Start camera"),
                       (CallState.camera_on, "video", "video_off"),
                       CallState.toggle_camera, pressed=CallState.camera_on, shortcut="V"),
        share_button(),
        share_settings(),
        device_settings(),
        place(Place.CONTROL_BAR),
        control_button("Leave", "phone_off", [CallState.leave, ScreenShareState.stop_sharing],
                       color_scheme="red", shortcut="Shift+L"),
        spacing="2",
        wrap="wrap",
        role="toolbar",
        aria_label="Call controls",
    )


def call_parts() -> list[rx.Component]:
    """The call's media, each part reading the room from live_kit_room; none shows anything."""
    return [
        microphone(
            enabled=CallState.mic_on,
            deafened=CallState.deafened,
            device_id=DevicesState.audio_input_id,
            push_to_talk=PreferencesState.push_to_talk,
            push_to_talk_key=PreferencesState.push_to_talk_key,
            processing=PreferencesState.mic_processing,
            on_transmitting=CallState.set_transmitting,
            on_talking_while_muted=CallState.show_muted_hint,
            on_noise_fallback=CallState.set_noise_fallback,
            on_error=lambda code, detail: CallState.set_media_error("microphone", code, detail),
        ),
        camera(
            enabled=CallState.camera_on,
            device_id=DevicesState.video_input_id,
            on_error=lambda code, detail: CallState.set_media_error("camera", code, detail),
        ),
        screen_share(
            enabled=ScreenShareState.sharing,
            capture=ScreenShareState.capture,
            codec=ScreenShareState.codec,
            audio=ScreenShareState.share_audio,
            codec_mime_types=CODEC_MIME_TYPES,
            on_result=ScreenShareState.share_result,
            on_codecs=ScreenShareState.set_encodable,
        ),
        remote_audio(
            gains=PreferencesState.gains,
            screen_gains=ScreenShareState.screen_gains,
            clip_gains=CallBridgeState.clip_gains,
            deafened=CallState.deafened,
            output_device_id=DevicesState.audio_output_id,
            chimes=PreferencesState.join_leave_sounds,
        ),
        device_list(on_devices=DevicesState.set_devices),
        server_notices(on_notice=CallState.take_notice),
        call_bridge(e2ee_key=CallState.e2ee_key, outbox=CallBridgeState.outbox,
                    clip=CallBridgeState.clip,
                    on_received=CallBridgeState.receive, on_sent=CallBridgeState.sent,
                    on_clip=CallBridgeState.clip_result),
    ]


def call_panel(*children: rx.Component) -> rx.Component:
    """The call's room, always mounted in the lobby; it connects only while a room's call
    is joined. `children` (call_view, and whatever else shows something of the call) read
    the room from it; it adds no element, so they lay out as children of its parent."""
    return live_kit_room(
        *children,
        server_url=CallState.server_url,
        token=CallState.token,
        e2ee_key=CallState.e2ee_key,
        e2ee_key_index=CallState.e2ee_key_index,
        e2ee_required=CallState.encryption_required,
        on_connection=CallState.set_connection,
        # a call that ends for good also ends a share, and the lobby's list may have changed
        on_disconnected=lambda reason, final: [CallState.set_disconnected(reason, final),
                                               ScreenShareState.call_ended(final),
                                               RoomsState.refresh_rooms],
        on_participants=CallState.set_participants,
        on_encryption=CallState.set_encryption,
        on_key_epoch=CallState.update_room_key,
        on_error=lambda code, detail: CallState.set_media_error("call", code, detail),
    )


def call_view() -> rx.Component:
    """The call's parts and everything it shows, inside call_panel's room."""
    return rx.fragment(
        *call_parts(),
        error_callout(CallState.media_error, test_id="media-error"),
        error_callout(CallBridgeState.clip_error, test_id="clip-error"),
        rx.cond(CallState.notice != "",
                rx.callout(CallState.notice, icon="info", role="status",
                           data_testid="call-notice", width="100%")),
        rx.cond(
            CallState.in_call,
            rx.vstack(
                rx.hstack(connection_badge(), encryption_badge(), transmit_badge(), rx.spacer(),
                          control_bar(),
                          width="100%", align="center", wrap="wrap", spacing="3"),
                rx.cond(
                    CallState.talking_while_muted,
                    rx.callout(
                        rx.cond(PreferencesState.push_to_talk,
                                "You are talking, but nobody hears you: hold "
                                + PreferencesState.push_to_talk_key + " to talk.",
                                "You are talking while muted. Press M to unmute."),
                        icon="mic_off", color_scheme="amber", role="status",
                        data_testid="muted-hint", width="100%",
                    ),
                ),
                share_note(),
                noise_fallback_note(),
                screen_viewer(),
                rx.grid(
                    rx.foreach(CallState.participants, participant_tile),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="3",
                    width="100%",
                    aria_label="Participants",
                    role="list",
                ),
                keyboard_shortcuts(keys=list(SHORTCUTS), on_shortcut=CallState.run_shortcut),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                RoomsState.selected_room,
                rx.button(rx.icon("phone", size=16), "Join call", on_click=RoomsState.join_selected,
                          size="3"),
            ),
        ),
    )
