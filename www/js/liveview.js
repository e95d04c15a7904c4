// The live view, embedded: an iframe holding the ebiten program
// (liveview.html + liveview.wasm), created only when first shown so that
// its 3 MB are fetched by those who use it. Messages sent before it is
// ready are queued. After every change it sends back a text description,
// which this module keeps in a polite live region beside the frame: the
// screen-reader version of the picture.
//
// Messages (JSON, see wasm/liveview/scene/message.go):
//   masks  {kind:'masks', status, masks:[{name, kept:'1101…'}]}
//   layer  {kind:'layer', layer:{name, bins, min, max, weight:{c,d,gamma,bits}, act:{c,d,bits,signed}}}
//          or, for a layer kept in float, {kind:'layer', layer:{name, bins, min, max, float:true}}
//   point  {kind:'point', series:'loss', x, y}
//   reset  {kind:'reset'}
import { el } from './format.js';

export class LiveView {
  constructor(container) {
    this.container = container;
    this.frame = null;
    this.ready = false;
    this.queue = [];
    this.text = el('p', { className: 'liveview-text', 'aria-live': 'polite' }, '');
    this.onMessage = (e) => this.receive(e);
  }

  /** show creates the frame on first use. */
  show() {
    if (this.frame) return;
    this.frame = el('iframe', {
      className: 'liveview-frame', src: 'liveview.html', title: 'Live view: channel masks, weight histograms, quantizer transfer curves and training curves. Arrow keys choose the layer.',
      tabindex: '0',
    });
    window.addEventListener('message', this.onMessage);
    this.container.replaceChildren(this.frame, this.text);
  }

  receive(e) {
    if (e.origin !== location.origin || e.source !== this.frame?.contentWindow) return;
    const d = e.data || {};
    if (d.type === 'liveview-ready') {
      this.ready = true;
      for (const m of this.queue.splice(0)) this.post(m);
    } else if (d.type === 'liveview-text') {
      this.text.textContent = d.text;
      this.version = d.version;
    } else if (d.type === 'liveview-error') {
      this.text.textContent = `Live view: ${d.message}`;
    }
  }

  /** send passes one message (an object) to the view. */
  send(msg) {
    this.show();
    if (!this.ready) this.queue.push(msg);
    else this.post(msg);
  }

  post(msg) {
    this.frame.contentWindow.postMessage(JSON.stringify(msg), location.origin);
  }

  close() {
    window.removeEventListener('message', this.onMessage);
    this.frame?.remove();
    this.frame = null;
    this.ready = false;
    this.queue = [];
  }
}
