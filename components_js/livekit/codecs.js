// Which of the codecs Python offers (codec -> MIME type) this browser can encode.
export function encodableCodecs(mimeTypes) {
  const caps = (window.RTCRtpSender && RTCRtpSender.getCapabilities && RTCRtpSender.getCapabilities("video")) || { codecs: [] };
  const mimes = new Set(caps.codecs.map((c) => c.mimeType.toLowerCase()));
  return Object.keys(mimeTypes || {}).filter((codec) => mimes.has(String(mimeTypes[codec]).toLowerCase()));
}

// Never fall back silently: the code says why another codec is used ("" when none).
export function chooseShareCodec(wanted, encrypted, mimeTypes) {
  const available = encodableCodecs(mimeTypes);
  if (wanted === "av1" && encrypted) {
    return { codec: available.includes("vp9") ? "vp9" : "vp8", code: "av1_e2ee" };
  }
  if (!available.includes(wanted)) return { codec: "vp8", code: "not_encodable" };
  return { codec: wanted, code: "" };
}
