"""Debian's Chromium, driven by Playwright, with the flags this environment needs."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps trying to reach outside services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream=fps=60",
    "--autoplay-policy=no-user-gesture-required",
]

# Test instrumentation only (the app keeps no globals): remember every peer connection
# the page makes, so a test can read what audio actually arrives through getStats().
RECORD_PEER_CONNECTIONS = """
(() => {
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  const seen = [];
  Object.defineProperty(window, '__testPeerConnections', { value: seen });
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); seen.push(this); }
  };
})();
"""

# Sum of totalAudioEnergy over all received audio: it grows only while sound arrives.
INBOUND_AUDIO_ENERGY = """
async () => {
  let total = 0;
  for (const pc of window.__testPeerConnections || []) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') total += r.totalAudioEnergy || 0;
    });
  }
  return total;
}
"""

# What this page sends as video: codec, size and frame rate of each outbound stream.
OUTBOUND_VIDEO = """
async () => {
  const sent = [];
  for (const pc of window.__testPeerConnections || []) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type !== 'outbound-rtp' || r.kind !== 'video' || !r.frameWidth) return;
      const codec = r.codecId && stats.get(r.codecId);
      const source = r.mediaSourceId && stats.get(r.mediaSourceId);
      sent.push({ mime: codec ? codec.mimeType : '', width: r.frameWidth, height: r.frameHeight,
                  fps: r.framesPerSecond || 0, limitedBy: r.qualityLimitationReason || '',
                  captureWidth: source ? source.width : 0,
                  captureHeight: source ? source.height : 0,
                  captureFps: source ? source.framesPerSecond || 0 : 0 });
    });
  }
  return sent;
}
"""

# What this page receives as video, for a failure message that says where frames stop:
# not arriving at all, arriving but not decoding, or decoding at some size.
INBOUND_VIDEO = """
async () => {
  const got = [];
  for (const pc of window.__testPeerConnections || []) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
      const codec = r.codecId && stats.get(r.codecId);
      got.push({ mime: codec ? codec.mimeType : '', bytes: r.bytesReceived || 0,
                 received: r.framesReceived || 0, decoded: r.framesDecoded || 0,
                 keyFrames: r.keyFramesDecoded || 0, dropped: r.framesDropped || 0,
                 width: r.frameWidth || 0, height: r.frameHeight || 0, plis: r.pliCount || 0,
                 decoder: r.decoderImplementation || '' });
    });
  }
  return got;
}
"""

# What each video track this page sends was asked for and got from the capture device:
# the request is the app's, not the machine's (the measured rate is bench/screen_share.py's).
SENT_VIDEO_TRACKS = """
() => {
  const tracks = [];
  for (const pc of window.__testPeerConnections || []) {
    if (pc.connectionState === 'closed') continue;
    for (const sender of pc.getSenders()) {
      const track = sender.track;
      if (!track || track.kind !== 'video') continue;
      const asked = track.getConstraints(), got = track.getSettings();
      const ideal = (c) => (c && typeof c === 'object' ? c.ideal ?? c.exact ?? c.max : c) || 0;
      tracks.push({ contentHint: track.contentHint, askedWidth: ideal(asked.width),
                    askedHeight: ideal(asked.height), askedFps: ideal(asked.frameRate),
                    width: got.width || 0, height: got.height || 0, fps: got.frameRate || 0 });
    }
  }
  return tracks;
}
"""
