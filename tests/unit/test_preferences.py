"""Per-listener volumes and personal audio settings: only valid values, only for oneself."""

from __future__ import annotations

import math

import pytest

from distokoloshe import preferences
from distokoloshe.validation import InvalidInput


def test_volume_is_saved_per_listener_and_speaker(db_session, make_user):
    alice, bob, carol = (make_user(n) for n in ("alice", "bob", "carol"))
    preferences.set_volume(session=db_session, user=alice, speaker_id=str(bob.id), volume=150)
    preferences.set_muted_for_me(session=db_session, user=alice, speaker_id=carol.id, muted=True)
    db_session.commit()

    hearing = preferences.hearing_of(session=db_session, user=alice)
    assert hearing[str(bob.id)] == preferences.Hearing(150, False)
    assert hearing[str(carol.id)].gain == 0.0
    assert hearing[str(bob.id)].gain == 1.5
    assert preferences.hearing_of(session=db_session, user=bob) == {}  # Bob's are his own


@pytest.mark.parametrize("volume", [-1, 201, 500, math.inf, math.nan, True, "100", None, [100]])
def test_out_of_range_or_mistyped_volume_is_refused_and_nothing_stored(db_session, make_user,
                                                                      volume):
    alice, bob = make_user("alice"), make_user("bob")
    with pytest.raises(InvalidInput):
        preferences.set_volume(session=db_session, user=alice, speaker_id=bob.id, volume=volume)
    assert preferences.hearing_of(session=db_session, user=alice) == {}


@pytest.mark.parametrize("speaker", ["self", 0, -3, 10**30, "abc", None, True, "99999"])
def test_volume_for_oneself_or_an_unknown_user_is_refused(db_session, make_user, speaker):
    alice = make_user("alice")
    speaker_id = alice.id if speaker == "self" else speaker
    with pytest.raises(InvalidInput):
        preferences.set_volume(session=db_session, user=alice, speaker_id=speaker_id, volume=50)


def test_preferences_accept_known_keys_with_the_right_types(db_session, make_user):
    alice = make_user("alice")
    assert preferences.preferences_of(session=db_session, user=alice).push_to_talk is False
    preferences.set_preference(session=db_session, user=alice, key="push_to_talk", value=True)
    preferences.set_preference(session=db_session, user=alice, key="push_to_talk_key",
                               value="KeyT")
    db_session.commit()
    prefs = preferences.preferences_of(session=db_session, user=alice)
    assert (prefs.push_to_talk, prefs.push_to_talk_key) == (True, "KeyT")


def test_voice_processing_choices_are_saved(db_session, make_user):
    alice = make_user("alice")
    prefs = preferences.preferences_of(session=db_session, user=alice)
    assert (prefs.noise_suppression, prefs.voice_gate, prefs.voice_gate_db) == (
        "rnnoise", "off", -50)
    for key, value in (("noise_suppression", "browser"), ("voice_gate", "threshold"),
                       ("voice_gate_db", -42.4)):
        preferences.set_preference(session=db_session, user=alice, key=key, value=value)
    db_session.commit()
    prefs = preferences.preferences_of(session=db_session, user=alice)
    assert (prefs.noise_suppression, prefs.voice_gate, prefs.voice_gate_db) == (
        "browser", "threshold", -42)


@pytest.mark.parametrize(("key", "value"), [
    ("push_to_talk", "yes"), ("push_to_talk", 1), ("noise_suppression", None),
    ("push_to_talk_key", "ControlLeft"), ("push_to_talk_key", "MetaLeft"),
    ("push_to_talk_key", "<script>"), ("push_to_talk_key", "K" * 5000),
    ("user_id", 2), ("password_hash", "x"), ("token_version", 9), (None, True),
    ("theme", "purple"), ("theme", True), ("theme", None),
    ("noise_suppression", True), ("noise_suppression", "krisp"), ("voice_gate", "on"),
    ("voice_gate", ["auto"]), ("voice_gate_db", -81), ("voice_gate_db", 0),
    ("voice_gate_db", float("nan")), ("voice_gate_db", "-40"), ("voice_gate_db", True),
])
def test_unknown_keys_and_bad_values_are_refused(db_session, make_user, key, value):
    alice = make_user("alice")
    with pytest.raises(InvalidInput):
        preferences.set_preference(session=db_session, user=alice, key=key, value=value)
    prefs = preferences.preferences_of(session=db_session, user=alice)
    assert prefs.user_id == alice.id and prefs.push_to_talk is False
    assert prefs.push_to_talk_key == "Space"
