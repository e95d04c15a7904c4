// Service worker: keeps a copy of the whole app so that after one visit
// Pare opens and works with the network off. Requests go to the network
// first and fall back to the copy, and every answer from the network
// refreshes the copy: a rebuilt app is picked up at once while online, so
// the cache needs no version in its name (CACHE changes only if its
// layout does). Only this origin's files are ever fetched or cached.
// APP_FILES must list every file the page loads (the live view's 12 MB
// liveview.wasm and onnxruntime-web's 14 MB ort/ are left out: they are
// fetched, and then cached, only by those who use them)
// (tests/browser/sw-precache.test.mjs checks it).

const CACHE = 'pare-app-v1';
const APP_FILES = [
  './', 'index.html', 'icon.svg', 'css/app.css',
  'js/app.js', 'js/banner.js', 'js/categories.js', 'js/colour.js', 'js/evaluate.js', 'js/files.js', 'js/find.js', 'js/finetune.js', 'js/format.js', 'js/prune.js',
  'js/compress.js', 'js/compare-graphs.js', 'js/store.js', 'js/ortcheck.js', 'js/ort-timer.js', 'js/parallel.js',
  'js/graph-view.js', 'js/job.js', 'js/layout.js', 'js/layout-worker.js', 'js/pool.js', 'js/roving.js', 'js/sidebar.js',
  'js/simd-kernel.js', 'js/stages.js', 'js/summary.js', 'js/liveview.js', 'js/liveview-boot.js', 'liveview.html',
  'worker.js', 'wasm_exec.js', 'pare.wasm', 'kernel.wasm', 'kernel_relaxed.wasm',
  'demo/demo.json', 'demo/demo-resnet-mnist.onnx', 'demo/mnist-test-images-idx3-ubyte', 'demo/mnist-test-labels-idx1-ubyte',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // One missing optional file (say the relaxed-SIMD kernel) must not
    // stop the rest from being cached.
    await Promise.allSettled(APP_FILES.map((f) => cache.add(new Request(f, { cache: 'no-cache' }))));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      // waitUntil keeps the worker alive until the copy is stored.
      if (response.ok && response.type === 'basic') event.waitUntil(cache.put(request, response.clone()));
      return response;
    } catch (err) {
      const cached = await cache.match(request, { ignoreSearch: true });
      if (cached) return cached;
      throw err;
    }
  })());
});
