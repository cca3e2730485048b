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

// Starting a worker costs tens of milliseconds (its script is fetched, parsed and run), so
// one is started while the lobby is idle and handed to the next call: it holds no key until
// that call's key provider gives it one.
let spareWorker = null;

export function prepareE2EEWorker(lk, loadWorker) {
  if (spareWorker || !lk.isE2EESupported()) return;
  spareWorker = loadWorker().then(({ default: E2EEWorker }) => new E2EEWorker());
  spareWorker.catch(() => { spareWorker = null; });
}

async function takeWorker(loadWorker) {
  const spare = spareWorker;
  spareWorker = null;
  if (spare) {
    try {
      return await spare;
    } catch (error) {
      // made afresh below
    }
  }
  const { default: E2EEWorker } = await loadWorker();
  return new E2EEWorker();
}

// Encrypt whenever the browser can: { e2ee, release, unsupported }. e2ee is the Room's
// option (undefined without a key, or when this browser cannot encrypt: unsupported).
export async function startE2EE(lk, loadWorker, key, index) {
  if (!key) return { e2ee: undefined, release: () => {}, unsupported: false };
  if (!lk.isE2EESupported()) return { e2ee: undefined, release: () => {}, unsupported: true };
  const worker = await takeWorker(loadWorker);
  const keyProvider = makeRoomKeyProvider(lk);
  try {
    await keyProvider.setRoomKey(key, index || 0);
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return { e2ee: { keyProvider, worker }, release: () => worker.terminate(), unsupported: false };
}
