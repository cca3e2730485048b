"""The soundboard: clips anyone uploads, played into a call for everyone in it.

Built only with `distokoloshe.extend` (no JavaScript, nothing else of the core): a table
of its own with its migration (migrations/ beside this file), a live field for the clip
list, a panel beside the call, and the call bridge for playing a clip as the player's
own "clip:soundboard" track and telling the others who played what. Off unless
EXTENSIONS lists "soundboard".
"""

from distokoloshe.extend import Extension, Panel, Place
from distokoloshe.extensions.soundboard.panel import soundboard_panel
from distokoloshe.extensions.soundboard.state import NAME, SoundboardState, clips

extension = Extension(
    name=NAME,
    title="Soundboard",
    panels=[Panel(Place.BESIDE_CALL, "soundboard", soundboard_panel)],
    live=[clips],
    call_data={"played": SoundboardState.heard},
)
