// Starts the live view's own wasm (wasm/liveview, an ebiten program) inside
// its iframe. ebiten adds its canvas to this page's body; messages from the
// embedding page drive it (see www/js/liveview.js).
const go = new Go();
// A keyboard user arrives by Tab on the iframe, which focuses this
// document; ebiten listens for keys on its canvas: hand the focus on.
window.addEventListener('focus', () => document.querySelector('canvas')?.focus());
try {
  const { instance } = await WebAssembly.instantiateStreaming(fetch('liveview.wasm'), go.importObject);
  document.getElementById('loading')?.remove();
  go.run(instance);
} catch (err) {
  document.getElementById('loading').textContent = `The live view cannot start: ${err.message}`;
  parent.postMessage({ type: 'liveview-error', message: String(err.message || err) }, location.origin);
}
