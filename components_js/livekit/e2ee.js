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

// Encrypt whenever the browser can: { e2ee, release, unsupported }. e2ee is the Room's
// option (undefined without a key, or when this browser cannot encrypt: unsupported).
export async function startE2EE(lk, loadWorker, key, index) {
  if (!key) return { e2ee: undefined, release: () => {}, unsupported: false };
  if (!lk.isE2EESupported()) return { e2ee: undefined, release: () => {}, unsupported: true };
  const { default: E2EEWorker } = await loadWorker();
  const worker = new E2EEWorker(); // starts up while the key is imported
  const keyProvider = makeRoomKeyProvider(lk);
  try {
    await keyProvider.setRoomKey(key, index || 0);
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return { e2ee: { keyProvider, worker }, release: () => worker.terminate(), unsupported: false };
}
