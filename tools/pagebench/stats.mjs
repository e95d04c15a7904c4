// Small statistics for repeated measurements.

/** median of the finite numbers in xs (NaN when there are none). */
export function median(xs) {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** spread returns {median, min, max, n} of the finite numbers in xs. */
export function spread(xs) {
  const v = xs.filter(Number.isFinite);
  return { median: median(v), min: v.length ? Math.min(...v) : NaN, max: v.length ? Math.max(...v) : NaN, n: v.length };
}
