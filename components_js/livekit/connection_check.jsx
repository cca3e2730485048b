// Runs livekit-client's connection checks, one after another, while it has a server URL
// and a token (a throwaway room's, from the backend), and reports each as codes:
// (check, status, udp, tcp). Python puts them in words. Not inside LiveKitRoom.
import { useEffect, useRef } from "react";
import { emitter } from "./context.js";
import { loadLiveKit } from "./load.js";

const CHECKS = [
  ["websocket", (check) => check.checkWebsocket()],
  ["webrtc", (check) => check.checkWebRTC()],
  ["turn", (check) => check.checkTURN()],
  ["microphone", (check) => check.checkPublishAudio()],
];

export function ConnectionCheck({ serverUrl, token, onResult, onDone }) {
  const events = useRef({});
  events.current = { onResult, onDone };
  const emit = emitter(events);
  useEffect(() => {
    if (!serverUrl || !token) return undefined;
    let cancelled = false;
    const run = async () => {
      const lk = await loadLiveKit();
      const names = { [lk.CheckStatus.SUCCESS]: "success", [lk.CheckStatus.SKIPPED]: "skipped" };
      const check = new lk.ConnectionCheck(serverUrl, token);
      for (const [name, perform] of CHECKS) {
        if (cancelled) return;
        emit("onResult", name, "running", false, false);
        const info = await perform(check).catch(() => ({ status: lk.CheckStatus.FAILED }));
        if (cancelled) return;
        // The WebRTC check logs each candidate the server offered: "<protocol> <address>:..."
        const logs = (info.logs || []).map((log) => log.message || "");
        const udp = logs.some((message) => message.startsWith("udp "));
        const tcp = logs.some((message) => message.startsWith("tcp "));
        emit("onResult", name, names[info.status] || "failed", udp, tcp);
      }
    };
    run().catch(() => {}).finally(() => { if (!cancelled) emit("onDone"); });
    return () => { cancelled = true; };
  }, [serverUrl, token]);
  return null;
}
