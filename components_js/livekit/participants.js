// What the provider reports to Python about everyone in the call, and why a call ended.

// Reasons the server ends a call for good; anything else is worth a rejoin.
const FINAL_REASONS = new Set(["CLIENT_INITIATED", "DUPLICATE_IDENTITY", "PARTICIPANT_REMOVED", "ROOM_DELETED"]);

// (reason_code, final) for a DisconnectReason, e.g. ("room_deleted", true).
export function disconnectReason(lk, reason) {
  const name = lk.DisconnectReason[reason] || "UNKNOWN_REASON";
  return [name.toLowerCase(), FINAL_REASONS.has(name)];
}

// Room events come in bursts (a dozen people arriving, a quality change for each of them),
// and each report is a Reflex event carrying everyone: one report per burst, sent this
// long after its first event.
const REPORT_DELAY_MS = 100;

// report() for a room: coalesces the calls within REPORT_DELAY_MS into one
// onParticipants; report.cancel() drops one still pending (the call is ending).
export function participantReporter(room, undecryptable, emit) {
  let timer = null;
  const send = () => {
    timer = null;
    emit("onParticipants", describeParticipants(room, undecryptable));
  };
  const report = () => {
    if (timer === null) timer = setTimeout(send, REPORT_DELAY_MS);
  };
  report.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return report;
}

function describeParticipants(room, undecryptable) {
  const describe = (participant, isLocal) => ({
    identity: participant.identity,
    name: participant.name || participant.identity,
    is_local: isLocal,
    mic_on: participant.isMicrophoneEnabled,
    cam_on: participant.isCameraEnabled,
    quality: String(participant.connectionQuality || "unknown"),
    // LiveKit calls a participant with no tracks unencrypted; one who sends nothing (a
    // listener without a microphone, or a tab still publishing) sends nothing in the clear.
    encrypted: participant.trackPublications.size === 0 || participant.isEncrypted,
    sharing: participant.isScreenShareEnabled,
    undecryptable: undecryptable.has(participant.identity),
  });
  return [
    describe(room.localParticipant, true),
    ...Array.from(room.remoteParticipants.values()).map((p) => describe(p, false)),
  ];
}

// The room key epoch the backend announces in the room's metadata (never a key), or null.
export function keyEpoch(metadata) {
  try {
    const epoch = JSON.parse(metadata || "{}").key_epoch;
    return Number.isInteger(epoch) ? epoch : null;
  } catch (error) {
    return null; // metadata that is not ours
  }
}
