// While mounted (its panel is open), reports once a second how the connection looks from
// this browser: for this user's own tile ("" identity or the local one) what it sends and
// the round trip to the server; for someone else's, what this browser receives of them.
// Numbers and codes only: { rtt_ms, jitter_ms, loss_in_pct, loss_out_pct, audio_codec,
// video_codec, bitrate_kbps, route: "udp" | "tcp" | "turn" | "", turn_transport }.
import { useEffect, useRef } from "react";
import { emitter, useRoom } from "./context.js";

const codecOf = (report, rtp) => {
  const codec = rtp.codecId && report.get(rtp.codecId);
  return codec ? codec.mimeType.split("/")[1].toLowerCase() : "";
};

function routeOf(report) {
  let pair = null;
  report.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
  });
  report.forEach((s) => {
    if (!pair && s.type === "candidate-pair" && s.state === "succeeded" && s.nominated) pair = s;
  });
  const local = pair && report.get(pair.localCandidateId);
  if (!local) return { pair, route: "", turn: "" };
  if (local.candidateType === "relay") return { pair, route: "turn", turn: local.relayProtocol || "" };
  return { pair, route: local.protocol === "tcp" ? "tcp" : "udp", turn: "" };
}

// Adds one track's report to the running totals.
function add(totals, report) {
  const { pair, route, turn } = routeOf(report);
  if (pair && pair.currentRoundTripTime !== undefined) totals.rtt.push(pair.currentRoundTripTime);
  if (route) Object.assign(totals, { route, turn });
  report.forEach((s) => {
    const kind = s.kind === "video" ? "video" : "audio";
    if (s.type === "outbound-rtp") {
      totals.sent += s.bytesSent || 0;
      totals[kind] = totals[kind] || codecOf(report, s);
    } else if (s.type === "inbound-rtp") {
      totals.got += s.bytesReceived || 0;
      totals.lost += s.packetsLost || 0;
      totals.received += s.packetsReceived || 0;
      if (s.jitter !== undefined) totals.jitter.push(s.jitter);
      totals[kind] = totals[kind] || codecOf(report, s);
    } else if (s.type === "remote-inbound-rtp") {
      if (s.roundTripTime !== undefined) totals.rtt.push(s.roundTripTime);
      if (s.jitter !== undefined) totals.jitter.push(s.jitter);
      if (s.fractionLost !== undefined) totals.lossOut.push(s.fractionLost);
    }
  });
}

const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : -1);
const round1 = (value) => Math.round(value * 10) / 10;

function tracksOf(room, identity) {
  const local = !identity || identity === room.localParticipant.identity;
  const participant = local ? room.localParticipant : room.remoteParticipants.get(identity);
  const own = participant ? Array.from(participant.trackPublications.values()) : [];
  const received = local // what this user receives, for the loss coming in
    ? Array.from(room.remoteParticipants.values()).flatMap((p) => Array.from(p.trackPublications.values()))
    : [];
  return [...own, ...received].map((publication) => publication.track).filter(Boolean);
}

export function ConnectionStats({ identity, onStats }) {
  const { room } = useRoom("ConnectionStats");
  const events = useRef({});
  events.current = { onStats };
  const emit = emitter(events);
  useEffect(() => {
    if (!room) return undefined;
    let last = null;
    let stopped = false;
    const sample = async () => {
      const totals = { rtt: [], jitter: [], lossOut: [], sent: 0, got: 0, lost: 0, received: 0,
        audio: "", video: "", route: "", turn: "" };
      const reports = await Promise.all(tracksOf(room, identity)
        .map((track) => track.getRTCStatsReport().catch(() => undefined)));
      if (stopped) return;
      reports.filter(Boolean).forEach((report) => add(totals, report));
      const now = performance.now();
      const local = !identity || identity === room.localParticipant.identity;
      const bytes = local ? totals.sent : totals.got; // the bitrate of what the tile is about
      const kbps = last ? ((bytes - last.bytes) * 8) / (now - last.at) : -1;
      last = { bytes, at: now };
      const rtt = mean(totals.rtt);
      const jitter = mean(totals.jitter);
      const lossOut = mean(totals.lossOut);
      emit("onStats", {
        identity: identity || "",
        rtt_ms: rtt < 0 ? -1 : round1(rtt * 1000),
        jitter_ms: jitter < 0 ? -1 : round1(jitter * 1000),
        loss_in_pct: totals.received ? round1((100 * totals.lost) / (totals.lost + totals.received)) : -1,
        loss_out_pct: lossOut < 0 ? -1 : round1(lossOut * 100),
        audio_codec: totals.audio,
        video_codec: totals.video,
        bitrate_kbps: kbps < 0 ? -1 : Math.max(0, Math.round(kbps)),
        route: totals.route,
        turn_transport: totals.turn,
      });
    };
    sample();
    const timer = window.setInterval(sample, 1000);
    return () => { stopped = true; window.clearInterval(timer); };
  }, [room, identity]);
  return null;
}
