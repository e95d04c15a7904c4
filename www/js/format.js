// Number and size formatting shared by the views.

/** formatCount renders a large count compactly: 1234567 -> "1.23 M". */
export function formatCount(n) {
  if (n == null || !Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** formatExact renders a count with thousands separators. */
export function formatExact(n) {
  return n == null ? '–' : Number(n).toLocaleString('en-US');
}

/** formatBytes renders a byte count in binary units. */
export function formatBytes(n) {
  if (n == null || !Number.isFinite(n)) return '–';
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(2)} MB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KB`;
  return `${n} B`;
}

/** formatDuration renders seconds as "1 min 05 s" or "12 s". */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** formatShape renders [1,3,32,32] as "1×3×32×32". */
export function formatShape(shape) {
  if (!shape || shape.length === 0) return shape ? 'scalar' : '?';
  return shape.join('×');
}

/** el builds a DOM element: el('td', {className: 'x'}, 'text', child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'className') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}
