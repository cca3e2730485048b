"""An extension the suites run to see the core's hooks fire: each event it hears is one line
of JSON in DATA_DIR/extension_hooks.jsonl (the app's own data folder)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from distokoloshe.extend import Extension, Hook

LOG_NAME = "extension_hooks.jsonl"


def _recorder(hook: Hook):
    def record(event) -> None:
        line = json.dumps({"hook": hook.value, **dataclasses.asdict(event)})
        with (Path(os.environ["DATA_DIR"]) / LOG_NAME).open("a") as log:
            log.write(line + "\n")
    return record


extension = Extension(name="probe", hooks={hook: _recorder(hook) for hook in Hook})
