"""This browser's microphones, speakers and cameras, and the ones chosen in it.

The browser's DeviceList part reports the devices; the choice is remembered per browser,
since device ids differ between machines.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

MAX_DEVICES_REPORTED = 64
KINDS = ("audioinput", "audiooutput", "videoinput")


@dataclasses.dataclass
class DeviceView:
    kind: str
    device_id: str
    label: str


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


class DevicesState(rx.State):
    devices: list[DeviceView] = []
    audio_input_id: str = rx.LocalStorage("", name="dtk_audio_input")
    audio_output_id: str = rx.LocalStorage("", name="dtk_audio_output")
    video_input_id: str = rx.LocalStorage("", name="dtk_video_input")

    @rx.var
    def microphones(self) -> list[DeviceView]:
        return [d for d in self.devices if d.kind == "audioinput"]

    @rx.var
    def speakers(self) -> list[DeviceView]:
        return [d for d in self.devices if d.kind == "audiooutput"]

    @rx.var
    def cameras(self) -> list[DeviceView]:
        return [d for d in self.devices if d.kind == "videoinput"]

    @rx.event
    def set_devices(self, devices: list):
        """The browser's device list: [{kind, device_id, label}, ...]."""
        if not isinstance(devices, list):
            return
        self.devices = [
            DeviceView(kind=_text(d.get("kind"), 16), device_id=_text(d.get("device_id"), 256),
                       label=_text(d.get("label"), 128))
            for d in devices[:MAX_DEVICES_REPORTED] if isinstance(d, dict)
        ]

    @rx.event
    def choose_device(self, kind: str, device_id: str):
        """Use this device ("" for the system default) for its kind, in this browser."""
        if not isinstance(device_id, str) or len(device_id) > 256:
            return
        if kind == "audioinput":
            self.audio_input_id = device_id
        elif kind == "audiooutput":
            self.audio_output_id = device_id
        elif kind == "videoinput":
            self.video_input_id = device_id
