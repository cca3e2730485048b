"""Every websocket gets an event budget, so one client's flood cannot starve everyone else.

Reflex reads, parses and queues each incoming event on the socket's own receive loop; a
client that sends thousands a second would keep the backend's one event loop busy for all.
An event over the budget (ratelimit.EventBudget) is dropped before Reflex sees it, and
the socket's receive loop then waits until the budget has room again: meanwhile its
further frames stay unread in the connection's buffers, so flooding costs the backend
next to nothing (the websocket server stops reading a socket whose queue is full). A
socket that has had another full burst refused is disconnected: no browser of ours sends
like that. This wraps two methods of Reflex's event namespace (`on_event`,
`on_disconnect`), as presence_hub does; tests/faults/test_floods.py covers both.

Every event that is let through has its text made well formed first (validation.well_formed):
a lone surrogate that a handler kept in a var would break every later update of that tab.
"""

from __future__ import annotations

import asyncio
import logging
import time

from engineio import exceptions as engineio_exceptions

from distokoloshe.ratelimit import EventBudget
from distokoloshe.settings import get_settings
from distokoloshe.validation import well_formed

log = logging.getLogger(__name__)


async def _refuse(_packet) -> None:
    raise engineio_exceptions.SocketIsClosedError


async def _hang_up(app, sid: str, namespace: str) -> None:
    """Close the whole websocket, not only the namespace, and stop reading it at once.

    Engine.IO's own disconnect only sends a close packet: a client that ignores it keeps
    its websocket, and every further frame would still be read and parsed. So the socket's
    reader is made to stop at the next frame, which ends its writer and closes the
    transport; what the client sends meanwhile stays unread in the connection's buffers.
    """
    eio_sid = app.sio.manager.eio_sid_from_sid(sid, namespace)
    socket = app.sio.eio.sockets.get(eio_sid) if eio_sid is not None else None
    if socket is not None:
        socket.receive = _refuse
    await app.sio.disconnect(sid, namespace=namespace)
    if eio_sid is not None:
        await app.sio.eio.disconnect(eio_sid)
    if socket is not None:
        await socket.queue.put(None)  # the writer exits and closes the websocket


def guard_events(app) -> None:
    """Lifespan task of every backend worker: put the budget in front of Reflex's events."""
    namespace = app.event_namespace
    settings = get_settings()
    budgets: dict[str, EventBudget] = {}
    reflex_on_event = namespace.on_event
    next_on_disconnect = namespace.on_disconnect

    async def on_event(sid: str, data):
        budget = budgets.get(sid)
        if budget is None:
            budget = budgets[sid] = EventBudget(settings.events_per_second, settings.event_burst)
        if budget.allow(time.monotonic()):
            try:
                data = well_formed(data)
            except RecursionError:
                log.warning("socket %s sent an event nested too deep; dropped", sid)
                return None
            return await reflex_on_event(sid, data)
        if budget.dropped == 1:
            log.warning("socket %s sends more than %s events a second; dropping the excess",
                        sid, settings.events_per_second)
        elif budget.dropped >= settings.event_burst:
            log.warning("socket %s kept flooding; disconnecting it", sid)
            budgets.pop(sid, None)
            await _hang_up(app, sid, namespace.namespace)
            return None
        await asyncio.sleep(budget.seconds_until_next())
        return None

    def on_disconnect(sid: str, *args):
        budgets.pop(sid, None)
        return next_on_disconnect(sid, *args)

    namespace.on_event = on_event
    namespace.on_disconnect = on_disconnect
