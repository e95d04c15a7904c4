// The pool of compute workers. Each worker (www/worker.js) runs its own Go
// instance of pare.wasm; the module is compiled once, here, and handed to
// every worker. Requests and replies are messages: {id, type, params,
// files} out; progress, result or error back. A worker whose Go instance
// dies (for example out of memory) is replaced by a fresh one on next use,
// not at once: a worker that cannot start at all (its script failed to
// load) would otherwise be restarted in an endless loop. Every request it
// had in flight fails with the reason.

let nextId = 1;

class Slot {
  constructor(pool, index) {
    this.pool = pool;
    this.index = index;
    this.pending = new Map();
    this.dead = false;
    this.death = null; // the error it died of
    this.loaded = {}; // what this Go instance holds: {model, data, preprocess} keys
    this.worker = new Worker(new URL('../worker.js', import.meta.url), { type: 'module', name: `pare-${index}` });
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => {});
    this.worker.onmessage = (e) => this.onMessage(e.data);
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.die({ code: 'worker-crashed', message: `The compute worker failed to start: ${e.message || 'unknown error'}. Reload the page.` });
    };
    this.worker.postMessage({ type: 'init', module: pool.module, simd: pool.simd });
  }

  onMessage(msg) {
    if (msg.kind === 'ready') {
      this.readyResolve();
      return;
    }
    if (msg.kind === 'fatal') {
      this.die(msg.error);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.kind === 'progress') {
      p.onProgress?.(msg.progress);
    } else if (msg.kind === 'result') {
      this.pending.delete(msg.id);
      let value;
      try {
        value = msg.json ? JSON.parse(msg.json) : null;
      } catch (err) {
        p.reject(Object.assign(new Error(`the compute worker sent an unreadable reply (${err.message})`), { code: 'internal' }));
        return;
      }
      p.resolve(msg.blob ? { value, blob: msg.blob } : value);
    } else if (msg.kind === 'error') {
      this.pending.delete(msg.id);
      p.reject(Object.assign(new Error(msg.error.message), msg.error));
    }
  }

  die(error) {
    if (this.dead) return;
    this.dead = true;
    const err = Object.assign(new Error(error.message), error);
    this.death = err;
    this.readyReject(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker.terminate();
    this.pool.onDeath?.(this.index, err);
  }

  async request(type, params = {}, files = [], { onProgress } = {}) {
    await this.ready;
    // A caller may hold a slot across a death (prepare's openModel then
    // openData, an evaluation's loop): a message to the terminated worker
    // would never be answered, so the request fails with the death's
    // reason instead.
    if (this.dead) throw this.death;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      // Each worker gets its own copy of the bytes (structured clone): the
      // page keeps the originals for the other workers.
      this.worker.postMessage({ id, type, params, files });
    });
  }

  cancelAll() {
    for (const id of this.pending.keys()) this.worker.postMessage({ type: 'cancel', id });
  }
}

export class WorkerPool {
  /**
   * @param {object} options
   * @param {number} options.max the most workers to start (defaults to
   *   navigator.hardwareConcurrency)
   * @param {string} options.simd the SIMD kernel mode (auto, simd, relaxed, off)
   */
  constructor({ max, simd = 'auto', wasmURL = 'pare.wasm' } = {}) {
    this.max = Math.max(1, max || navigator.hardwareConcurrency || 1);
    this.simd = simd;
    this.wasmURL = wasmURL;
    this.slots = [];
    this.onDeath = null; // (index, error) when a worker's Go instance stops
  }

  async start() {
    if (!this.compiling) {
      this.compiling = (async () => {
        const response = await fetch(this.wasmURL);
        if (!response.ok) throw new Error(`cannot load ${this.wasmURL} (HTTP ${response.status}); build it with make serve`);
        this.module = await WebAssembly.compileStreaming(response);
      })();
      this.compiling.catch(() => { this.compiling = null; });
    }
    await this.compiling;
  }

  /**
   * slot returns worker i, starting it (and the ones before it) if needed,
   * and starting a fresh one in place of a worker that died.
   */
  async slot(i) {
    await this.start();
    while (this.slots.length <= i) this.slots.push(new Slot(this, this.slots.length));
    if (this.slots[i].dead) this.slots[i] = new Slot(this, i);
    return this.slots[i];
  }

  /** size is how many workers evaluation may use. */
  get size() { return this.max; }

  cancelAll() {
    for (const s of this.slots) if (!s.dead) s.cancelAll();
  }
}
