// Lays graphs out off the UI thread (Netron does the same): one message in
// ({seq, graph}), one out ({seq, result} or {seq, error}).
import { layout } from './layout.js';

self.onmessage = (e) => {
  const { seq, graph } = e.data;
  try {
    postMessage({ seq, result: layout(graph) });
  } catch (err) {
    postMessage({ seq, error: String(err && err.message) });
  }
};
