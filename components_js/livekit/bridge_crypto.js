// End-to-end encryption of the call bridge's data messages (call_bridge.jsx), with a key
// derived from the room's key: AES-GCM-256, the key from HKDF-SHA-256 over the room key's
// passphrase, a fresh 12-byte IV per message, the topic as additional data (a message
// cannot be moved to another topic). A sealed message is the IV followed by the ciphertext.
// Not livekit-client's own data encryption: 2.23.0 never tells a receiver whether a packet
// was encrypted (its sender leaves EncryptedPacket.encryptionType unset), and the Python
// SDK 1.2.1 cannot decrypt what it encrypts.
const encoder = new TextEncoder();
const SALT = encoder.encode("distokoloshe call bridge");
const INFO = encoder.encode("data messages");
const IV_BYTES = 12;

export async function bridgeKey(passphrase) {
  if (!passphrase) return null;
  const material = await crypto.subtle.importKey("raw", encoder.encode(passphrase), "HKDF",
    false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: SALT, info: INFO },
    material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

export async function seal(key, topic, bytes) {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(topic) }, key, bytes);
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return out;
}

// The plaintext under the first of `keys` that opens it, or null.
export async function unseal(keys, topic, bytes) {
  if (bytes.byteLength <= IV_BYTES) return null;
  const params = { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES), additionalData: encoder.encode(topic) };
  for (const key of keys) {
    try {
      return new Uint8Array(await crypto.subtle.decrypt(params, key, bytes.slice(IV_BYTES)));
    } catch (_error) { /* another key, or not ours */ }
  }
  return null;
}
