"""The fault tests drive the same session app, LiveKit, browser and scaled workers as the
end-to-end suite (one of each per pytest session)."""

from tests.e2e.conftest import (  # noqa: F401  (fixtures)
    app,
    browser,
    livekit,
    new_page,
    open_on,
    proxy,
    scaled,
    scaled_user,
    seed_user,
)
