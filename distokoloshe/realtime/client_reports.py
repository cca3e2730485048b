"""Frontend exception reports: what a browser says went wrong, written to the log safely.

Reports come two ways, and anyone with a socket can send them, signed in or not: Reflex's
`client_error` socket event (which Reflex already trims to 500 characters and limits per
socket) and the state event `handle_frontend_exception`, which Reflex passes on verbatim,
however long and whatever it holds. Both reach `log_frontend_exception`, the app's
`frontend_exception_handler`, which

- writes control characters and newlines as escapes, so one report is one log line that
  cannot colour or rewrite a terminal nor forge other lines;
- keeps the first REPORT_CAP characters;
- writes at most PER_TAB reports a minute for one tab (its client token, or the socket of a
  `client_error` report) and IN_ALL a minute for the whole worker: the event budget alone
  (realtime/flood_guard.py) would still let one socket write 50 a second. The first report
  over the budget in a minute says so once.

The log's own scrubbing (log_hygiene.py) then removes tokens from what is written.
"""

from __future__ import annotations

import logging
import re
import time

from reflex_base.event.context import EventContext

from distokoloshe.log_hygiene import escape_controls
from distokoloshe.ratelimit import ReportBudget

REPORT_CAP = 2000
PER_TAB = 5
IN_ALL = 60

log = logging.getLogger(__name__)
_budget = ReportBudget(per_reporter=PER_TAB, in_all=IN_ALL)
_CLIENT_ERROR_SID = re.compile(r"\[SID: ([^\]]{1,64})\]")


def _reporter(text: str) -> str:
    """Who sent the report: the tab of the event being handled, else the socket a
    `client_error` report names."""
    try:
        return "tab:" + EventContext.get().token
    except LookupError:
        found = _CLIENT_ERROR_SID.match(text)
        return "sid:" + found.group(1) if found else "unknown"


def log_frontend_exception(exception: Exception) -> None:
    """The app's frontend_exception_handler: never raises."""
    try:
        text = str(exception)
        if not _budget.allow(_reporter(text[:100]), time.monotonic()):
            if _budget.suppressed == 1:
                log.warning("frontend exception reports over the budget (%s a tab, %s in all "
                            "a minute); leaving the rest of this minute's out",
                            _budget.per_reporter, _budget.in_all)
            return
        report = escape_controls(text[:REPORT_CAP], keep_newlines=False)[:REPORT_CAP]
        more = f" … ({len(text) - REPORT_CAP} more characters)" if len(text) > REPORT_CAP else ""
        log.warning("frontend exception report: %s%s", report, more)
    except Exception:  # noqa: BLE001
        log.warning("a frontend exception report could not be written")
