// Colour arithmetic for text drawn on data-dependent backgrounds (heatmap
// nodes, confusion-matrix cells): the text colour is picked from the
// background so it stays readable (WCAG contrast) whatever the value.

// relativeLuminance is WCAG 2's luminance of an sRGB colour (0-255 each).
function relativeLuminance([r, g, b]) {
  const lin = (v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/** DARK_TEXT and LIGHT_TEXT are the two text colours textColourOn picks from. */
export const DARK_TEXT = '#111111';
export const LIGHT_TEXT = '#ffffff';

/** textColourOn returns dark or light text, whichever contrasts more with rgb. */
export function textColourOn(rgb) {
  const l = relativeLuminance(rgb);
  return contrast(l, relativeLuminance([17, 17, 17])) >= contrast(l, 1) ? DARK_TEXT : LIGHT_TEXT;
}

/** mix blends two rgb colours: t=0 gives a, t=1 gives b. */
export function mix(a, b, t) {
  return a.map((v, k) => Math.round(v + (b[k] - v) * t));
}

/** hexToRgb turns '#rrggbb' into [r, g, b]. */
export function hexToRgb(hex) {
  return hex.match(/\w\w/g).map((h) => parseInt(h, 16));
}

/** cssRgb renders [r, g, b] as a CSS colour. */
export const cssRgb = (rgb) => `rgb(${rgb.join(',')})`;
