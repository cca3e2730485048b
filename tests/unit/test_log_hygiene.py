"""Log records are scrubbed of client tokens, JWTs and control characters, and capped; the
frontend exception handler escapes, caps and budgets reports."""

from __future__ import annotations

import logging
import uuid

import pytest

from distokoloshe import log_hygiene
from distokoloshe.ratelimit import ReportBudget
from distokoloshe.realtime import client_reports

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl-_x"


@pytest.fixture
def installed():
    before = logging.getLogRecordFactory()
    log_hygiene.install()
    log_hygiene.install()  # once only
    yield
    logging.setLogRecordFactory(before)


def test_tokens_jwts_and_controls_are_scrubbed_from_reflex_records(installed, caplog):
    token = str(uuid.uuid4())
    try:
        raise KeyError(f"payload {JWT}")
    except KeyError:
        logging.getLogger("reflex_base.event.processor").exception(
            "Error for Event(token=%r, router_data={'token': 'not-a-uuid', 'cookie': 'a=b'}, "
            "payload={'x': '\x1b[31mred\r'}) ?token=abc&access_token=%s", token, JWT)
    [record] = caplog.records
    text = record.getMessage()
    assert token not in text and JWT not in text and "not-a-uuid" not in text
    assert "a=b" not in text and "abc" not in text
    assert "\x1b" not in text and "\r" not in text and "\\x1b[31mred\\x0d" in text
    assert "KeyError" in text and record.exc_info is None  # the traceback, scrubbed, inline
    assert "KeyError: 'payload <jwt>'" in text


def test_invite_codes_are_scrubbed_from_urls_and_payloads(installed, caplog):
    code = "Zq3xY7-invite_code_0123456789abcdef"
    logging.getLogger("reflex.state").warning(
        "Event(router_data={'asPath': '/register?invite=%s'}, payload={'invite': '%s', "
        "\"form\": {\"invite\": \"%s\"}})", code, code, code)
    text = caplog.records[0].getMessage()
    assert code not in text
    assert "/register?invite=<redacted>" in text


def test_other_loggers_are_left_alone(installed, caplog):
    logging.getLogger("sqlalchemy.engine").warning("kept %s", JWT)
    assert caplog.records[0].getMessage() == f"kept {JWT}"


def test_lines_and_records_are_capped():
    text = log_hygiene.clean("x" * 10_000 + "\n" + "y\n" * 20_000)
    assert max(len(line) for line in text.splitlines()) <= log_hygiene.LINE_CAP
    assert len(text) <= log_hygiene.RECORD_CAP + 100


def test_a_frontend_report_is_one_escaped_capped_line(caplog):
    client_reports._budget = ReportBudget(per_reporter=5, in_all=60)
    with caplog.at_level(logging.WARNING):
        client_reports.log_frontend_exception(
            Exception("[SID: s1] boom\n[12:00:00] ERROR: forged\x1b[2J" + "A" * 1_000_000))
    [record] = caplog.records
    text = record.getMessage()
    assert "\n" not in text and "\x1b" not in text and "\\x0a[12:00:00]" in text
    assert len(text) < client_reports.REPORT_CAP + 100


def test_frontend_reports_are_budgeted_per_socket_and_in_all(caplog):
    client_reports._budget = ReportBudget(per_reporter=5, in_all=7)
    with caplog.at_level(logging.WARNING):
        for n in range(20):
            client_reports.log_frontend_exception(Exception(f"[SID: a] report {n}"))
        client_reports.log_frontend_exception(Exception("[SID: b] from b"))
        client_reports.log_frontend_exception(Exception("[SID: c] from c"))
        client_reports.log_frontend_exception(Exception("[SID: d] from d"))
    messages = [r.getMessage() for r in caplog.records]
    assert sum("] report" in m for m in messages) == 5
    assert any("from b" in m for m in messages) and any("from c" in m for m in messages)
    assert not any("from d" in m for m in messages)
    assert sum("over the budget" in m for m in messages) == 1


def test_report_budget_starts_again_each_window():
    budget = ReportBudget(per_reporter=1, in_all=10, window_seconds=60)
    assert budget.allow("a", 0.0) and not budget.allow("a", 1.0)
    assert budget.allow("a", 60.0)
