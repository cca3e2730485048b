// One shared key per room, placed at the slot of its epoch, so senders switch to a new
// key while frames still in flight under the old one can be decrypted.
export function makeRoomKeyProvider(lk) {
  class RoomKeyProvider extends lk.BaseKeyProvider {
    constructor() {
      super({ sharedKey: true, ratchetWindowSize: 0, failureTolerance: -1 });
    }

    async setRoomKey(passphrase, index) {
      this.onSetEncryptionKey(await lk.createKeyMaterialFromString(passphrase), undefined, index);
    }
  }
  return new RoomKeyProvider();
}

// Encrypt whenever the browser can: { e2ee, keyReady, release, unsupported }. e2ee is the
// Room's option (undefined without a key, or when this browser cannot encrypt:
// unsupported). The key is imported while the room connects: keyReady settles once it is
// in place, and the room turns encryption on only after that (nothing is sent before).
export async function startE2EE(lk, loadWorker, key, index) {
  const none = { e2ee: undefined, keyReady: Promise.resolve(), release: () => {} };
  if (!key) return { ...none, unsupported: false };
  if (!lk.isE2EESupported()) return { ...none, unsupported: true };
  const { default: E2EEWorker } = await loadWorker();
  const worker = new E2EEWorker();
  const keyProvider = makeRoomKeyProvider(lk);
  const keyReady = keyProvider.setRoomKey(key, index || 0);
  keyReady.catch(() => {}); // connect() reports it
  return { e2ee: { keyProvider, worker }, keyReady, release: () => worker.terminate(),
    unsupported: false };
}
