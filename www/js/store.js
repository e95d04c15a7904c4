// Finished compression stages kept across reloads, in this browser's
// IndexedDB: one record per run (the model, the images, the preprocessing
// and the settings it was asked with), holding the last finished stage's
// model and the report so far, so that a reload, a crash or a closed tab
// loses at most the stage under way. Only the most recent runs are kept
// (maxRuns), so storage stays bounded. Nothing leaves the machine.
//
// A browser may refuse storage (private windows, a full disk): every
// function then rejects with an Error whose message says so, and the page
// carries on without resuming.

const DB = 'pare';
const STORE = 'compress-runs';
const VERSION = 1;
const maxRuns = 3;

let dbPromise = null;

function openDB() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) {
      reject(new Error('this browser keeps no storage for the page (IndexedDB is off)'));
      return;
    }
    const req = indexedDB.open(DB, VERSION);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`the browser refused storage: ${req.error?.message || 'unknown reason'}`));
    req.onblocked = () => reject(new Error('storage is held by another tab of this page; close it and try again'));
  });
  dbPromise.catch(() => { dbPromise = null; });
  return dbPromise;
}

// transact runs fn on the store inside one transaction and resolves with
// the value of the last request once the transaction has committed.
async function transact(mode, fn) {
  const db = await openDB();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    let result;
    const req = fn(tx.objectStore(STORE));
    if (req) req.onsuccess = () => { result = req.result; };
    tx.oncomplete = () => resolve(result);
    const fail = () => {
      const e = tx.error || req?.error;
      const full = e?.name === 'QuotaExceededError';
      reject(new Error(full ? 'the browser has no room left to store the finished stage (free some space, or clear this site\'s data)' : `storage failed: ${e?.message || 'unknown reason'}`));
    };
    tx.onerror = fail;
    tx.onabort = fail;
  });
}

/** loadRun returns the stored run under key, or null. */
export async function loadRun(key) {
  return (await transact('readonly', (s) => s.get(key))) ?? null;
}

/**
 * saveRun stores a run's record ({after, report, bytes, ...}) under key and
 * drops the oldest runs beyond maxRuns.
 */
export async function saveRun(key, record) {
  await transact('readwrite', (s) => s.put({ ...record, savedAt: Date.now() }, key));
  const all = await transact('readonly', (s) => s.getAll());
  const keys = await transact('readonly', (s) => s.getAllKeys());
  const old = keys.map((k, i) => [k, all[i].savedAt]).sort((a, b) => b[1] - a[1]).slice(maxRuns);
  if (old.length) await transact('readwrite', (s) => { for (const [k] of old) s.delete(k); });
}

/** deleteRun forgets the run under key. */
export async function deleteRun(key) {
  await transact('readwrite', (s) => s.delete(key));
}

/**
 * storageUse is what this site stores and what the browser allows it
 * ({usage, quota} in bytes), or null where the browser does not say.
 */
export async function storageUse() {
  try {
    const e = await navigator.storage?.estimate?.();
    return e && Number.isFinite(e.usage) ? { usage: e.usage, quota: e.quota } : null;
  } catch {
    return null;
  }
}

/**
 * fingerprint names what a run was computed from, the same after a
 * reload: a digest of the model's bytes and of the images' paths and
 * sizes, with the preprocessing and the settings.
 * @param {{path: string, bytes: ArrayBuffer}[]} modelFiles
 * @param {{path: string, bytes?: ArrayBuffer, size?: number}[]} dataFiles
 * @param {object} extra preprocessing and settings
 */
const digests = new WeakMap(); // ArrayBuffer -> Promise of its digest

export async function fingerprint(modelFiles, dataFiles, extra) {
  const enc = new TextEncoder();
  const model = [];
  for (const f of modelFiles) {
    // A model's digest is computed once per opened file.
    if (!digests.has(f.bytes)) digests.set(f.bytes, digest(new Uint8Array(f.bytes)));
    model.push([f.path, await digests.get(f.bytes)]);
  }
  const data = dataFiles.map((f) => [f.path, f.bytes?.byteLength ?? f.size]);
  return digest(enc.encode(JSON.stringify({ model, data, extra })));
}

// digest is SHA-256 in hex where the page is a secure context (localhost,
// https); elsewhere (a plain-http static host has no crypto.subtle) a
// 64-bit FNV-1a, which is enough to tell runs apart, not to resist anyone.
async function digest(bytes) {
  if (globalThis.crypto?.subtle) {
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  for (let i = 0; i < bytes.length; i++) h = ((h ^ BigInt(bytes[i])) * prime) & mask;
  return h.toString(16).padStart(16, '0');
}
