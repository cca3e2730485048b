"""What clients send never reaches the logs as it was sent.

Reflex logs an event it cannot route whole: the tab's client token (which stands for that
tab's state), the router data and the payload; socket.io, engineio and the web server log
what they were sent too. Every record of those loggers is rewritten as it is made:

- client tokens (Reflex's UUIDs, and any value under a token, cookie, authorization or invite
  key: an invite link's code rides in the registration page's URL and form),
  JWTs (`eyJ…` in three parts: session tokens and LiveKit tokens alike) become placeholders;
- control characters (ANSI escapes, carriage returns, …) are written as `\\xNN` escapes, so a
  client can neither colour nor rewrite a terminal; newlines stay (tracebacks need them);
- a traceback becomes part of the message, scrubbed the same way;
- no line is longer than LINE_CAP and no record longer than RECORD_CAP.

`install()` wraps the logging module's record factory, once per process (each backend
worker imports the app, which calls it). A factory rather than a filter: a filter on a
logger does not see its children's records, and handlers are replaced (granian configures
logging in every worker), while every record of every logger is made by the factory.
No reflex import here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

LINE_CAP = 2000
RECORD_CAP = 16_000

# Loggers whose records carry what clients sent: Reflex (reflex, reflex_base, …), the
# socket layers, the web servers, asyncio's unhandled-task reports, and ours.
SCRUBBED_LOGGERS = ("reflex", "socketio", "engineio", "uvicorn", "granian", "_granian",
                    "starlette", "asyncio", "distokoloshe")

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_UUID = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                   r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z])")
_SECRET_KEYS = (r"(?:client_token|session_token|access_token|token|cookie|authorization"
                r"|invite)")
# token='…', "token": "…", 'cookie': '…' (reprs and JSON); the value up to its closing quote
_QUOTED_VALUE = re.compile(r"(['\"]?\b" + _SECRET_KEYS + r"\b['\"]?\s*[:=]\s*)(['\"])"
                           r"(?:\\.|(?!\2).)*\2", re.IGNORECASE)
# ?token=… (and ?invite=…) in a URL
_QUERY_VALUE = re.compile(r"([?&]" + _SECRET_KEYS + r"=)[^&\s'\"]+", re.IGNORECASE)
# C0 controls but tab and newline, DEL, C1 controls, and line/paragraph separators
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_newlines: bool = True) -> str:
    """Control characters as visible escapes (newlines and tabs kept unless told not to)."""
    return (_CONTROL if keep_newlines else _CONTROL_OR_NEWLINE).sub(_escaped, text)


def redact(text: str) -> str:
    """Client tokens and JWTs replaced by placeholders."""
    text = _JWT.sub("<jwt>", text)
    text = _QUOTED_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}<redacted>{m.group(2)}", text)
    text = _QUERY_VALUE.sub(r"\1<redacted>", text)
    return _UUID.sub("<client-token>", text)


def cap_lines(text: str, line_cap: int = LINE_CAP, record_cap: int = RECORD_CAP) -> str:
    lines = []
    for line in text.split("\n"):
        if len(line) > line_cap:
            left_out = f" … ({len(line) - line_cap} more characters)"
            line = line[:line_cap - len(left_out)] + left_out
        lines.append(line)
    text = "\n".join(lines)
    if len(text) > record_cap:
        half = record_cap // 2 - 40
        text = (text[:half] + f"\n… ({len(text) - 2 * half} characters left out) …\n"
                + text[-half:])
    return text


def clean(text: str) -> str:
    """Everything this module does to a record's text."""
    return cap_lines(escape_controls(redact(text)))


def scrub_record(record: logging.LogRecord) -> None:
    """Rewrite a record in place: message, arguments and traceback become one clean text."""
    try:
        text = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        elif record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        record.msg = clean(text)
    except Exception:  # noqa: BLE001  (a record must never take logging down)
        record.msg = f"a log record of {record.name} could not be cleaned, so it is left out"
    record.args = ()
    record.exc_info = None
    record.exc_text = None
    record.stack_info = None


def _scrubbing(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if record.name.startswith(SCRUBBED_LOGGERS):
            scrub_record(record)
        return record

    factory.scrubs_client_data = True
    return factory


def install() -> None:
    """Scrub every record of SCRUBBED_LOGGERS from now on in this process (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "scrubs_client_data", False):
        logging.setLogRecordFactory(_scrubbing(current))
