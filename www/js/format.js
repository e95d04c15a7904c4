// Number and size formatting shared by the views.

/**
 * formatCount renders a count compactly with three significant digits, as
 * engineers quote costs: 8778 -> "8.78 k", 225792 -> "226 k",
 * 2865431552 -> "2.87 G"; below 1,000 the exact number.
 */
export function formatCount(n) {
  if (n == null || !Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs < 1000) return String(n);
  for (const [unit, size] of [['G', 1e9], ['M', 1e6], ['k', 1e3]]) {
    if (abs >= size * 0.9995 || unit === 'k') {
      const v = n / size;
      return `${Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
    }
  }
  return String(n);
}

/** formatExact renders a count with thousands separators. */
export function formatExact(n) {
  return n == null ? '–' : Number(n).toLocaleString('en-US');
}

/**
 * formatBytes renders a byte count in IEC binary units with one decimal,
 * the convention of the Go side (core/units.Bytes): 512 -> "512 B",
 * 1536 -> "1.5 KiB", 4 * 2 ** 30 -> "4.0 GiB".
 */
export function formatBytes(n) {
  if (n == null || !Number.isFinite(n)) return '–';
  if (Math.abs(n) < 1024) return `${n} B`;
  let v = n;
  for (const unit of ['KiB', 'MiB', 'GiB']) {
    v /= 1024;
    if (Math.abs(Math.round(v * 10) / 10) < 1024) return `${v.toFixed(1)} ${unit}`;
  }
  return `${(v / 1024).toFixed(1)} TiB`;
}

/** formatDuration renders seconds as "340 ms", "4.2 s", "12 s" or "1 min 05 s". */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 1) return `${Math.max(1, Math.round(seconds * 1000))} ms`;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** formatETA renders the time left of a running job, coarser than formatDuration. */
export function formatETA(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return 'estimating time left…';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 60) return `about ${Math.ceil(seconds)} s left`;
  return `about ${formatDuration(seconds)} left`;
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
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}
