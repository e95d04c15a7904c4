// Time to interactive of the app, measured from outside the page: a
// script injected before the app's own (playwright addInitScript) marks
// moments on the page's Performance timeline, without any change to www/:
//   pagebench:wasm-compiled the page's WebAssembly.compileStreaming of
//                           pare.wasm resolved (it compiles while downloading)
//   pagebench:app-wired     app.js has run to its end (every control has
//                           its handler; it assigns window.pare last)
//   pagebench:worker-ready  worker 0 reports {kind: 'ready'}: pare.wasm
//                           compiled, Go instantiated, the core answering
// Interactive is the later of the two. First contentful paint,
// DOMContentLoaded and load come from the Paint and Navigation Timing
// entries; "demo shown" is from clicking "Try the demo" to the demo's
// graph drawn (the condition the browser tests wait for).

/* global window, document, performance */
function initScript() {
  const mark = (name) => { if (!performance.getEntriesByName(name).length) performance.mark(name); };
  let value;
  Object.defineProperty(window, 'pare', {
    configurable: true,
    get: () => value,
    set: (v) => { value = v; mark('pagebench:app-wired'); },
  });
  const compileStreaming = WebAssembly.compileStreaming;
  WebAssembly.compileStreaming = function (...args) {
    const p = compileStreaming.apply(this, args);
    p.then(() => mark('pagebench:wasm-compiled'), () => {});
    return p;
  };
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(url, options) {
      super(url, options);
      if (options && options.name === 'pare-0') {
        this.addEventListener('message', (e) => { if (e.data && e.data.kind === 'ready') mark('pagebench:worker-ready'); });
      }
    }
  };
}

function readTimings() {
  const nav = performance.getEntriesByType('navigation')[0];
  const at = (name) => performance.getEntriesByName(name)[0]?.startTime;
  const fcp = at('first-contentful-paint');
  const appWired = at('pagebench:app-wired');
  const workerReady = at('pagebench:worker-ready');
  const wasm = performance.getEntriesByType('resource').find((e) => /\/pare\.wasm$/.test(e.name));
  if (!nav || !(nav.loadEventEnd > 0) || fcp == null || appWired == null || workerReady == null) return null;
  return {
    ttfb: nav.responseStart, fcp, domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
    wasmDownloaded: wasm?.responseEnd, wasmCompiled: at('pagebench:wasm-compiled'),
    appWired, workerReady, interactive: Math.max(appWired, workerReady, nav.domContentLoadedEventEnd),
    controlledBySW: !!navigator.serviceWorker?.controller,
  };
}

function demoShown() {
  const s = window.pare?.state;
  const view = window.pare?.graphView;
  // The graph view draws only the nodes in view (and nearby): drawn means
  // no render queued and one #graph .node per element it holds, the
  // condition tests/browser/harness.mjs waitForGraph uses.
  const drawn = s?.model && s.pending === 0 && view.drawn === s.model.view.graph &&
    !view.renderPending && !view.frame && view.elements.size > 0 &&
    document.querySelectorAll('#graph .node').length === view.elements.size;
  return drawn ? performance.now() : false;
}

/** installTimingHooks adds the init script to a browser context (before any navigation). */
export async function installTimingHooks(context) {
  await context.addInitScript(initScript);
}

/**
 * visit navigates page to url and returns the timings in ms from
 * navigation start, then clicks "Try the demo" and adds demoShown
 * (ms from the click to the demo's graph drawn).
 */
export async function visit(page, url, { timeout = 60000, onInteractive = () => {} } = {}) {
  await page.goto(url, { waitUntil: 'load', timeout });
  const t = await (await page.waitForFunction(readTimings, null, { timeout, polling: 50 })).jsonValue();
  onInteractive();
  const clickedAt = await page.evaluate(() => {
    const at = performance.now();
    document.getElementById('empty-demo').click();
    return at;
  });
  const shownAt = await (await page.waitForFunction(demoShown, null, { timeout, polling: 'raf' })).jsonValue();
  return { ...t, demoClickedAt: clickedAt, demoShown: shownAt - clickedAt };
}

/** waitForServiceWorker waits until the app's service worker is active and controls the page. */
export async function waitForServiceWorker(page, timeout = 60000) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout, polling: 100 });
}
