// Minimal reader and writer for NumPy .npy files (format versions 1.0, 2.0
// and 3.0, little-endian, C order). Enough for the oracle: the element types
// onnxruntime tensors use in CNNs.

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

// descr -> onnxruntime tensor type and typed-array constructor.
const BY_DESCR = {
  '<f4': { type: 'float32', Array: Float32Array },
  '<f8': { type: 'float64', Array: Float64Array },
  '<i8': { type: 'int64', Array: BigInt64Array },
  '<i4': { type: 'int32', Array: Int32Array },
  '<i2': { type: 'int16', Array: Int16Array },
  '<u2': { type: 'uint16', Array: Uint16Array },
  '|i1': { type: 'int8', Array: Int8Array },
  '|u1': { type: 'uint8', Array: Uint8Array },
  '|b1': { type: 'bool', Array: Uint8Array },
};

const DESCR_BY_TYPE = Object.fromEntries(
  Object.entries(BY_DESCR).map(([descr, v]) => [v.type, descr]),
);

// A descr may name the native or the "no byte order" form of a one-byte or
// little-endian type; normalise to the keys above.
function normaliseDescr(descr) {
  if (descr.length === 3 && (descr[0] === '=' || descr[0] === '|' || descr[0] === '<')) {
    const body = descr.slice(1);
    for (const prefix of ['<', '|']) {
      if (BY_DESCR[prefix + body]) return prefix + body;
    }
  }
  return descr;
}

/**
 * Parses a .npy file.
 * @param {Uint8Array} bytes the whole file
 * @returns {{type: string, shape: number[], data: ArrayBufferView}}
 */
export function readNpy(bytes) {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new Error('not a .npy file: missing the \\x93NUMPY magic');
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen;
  let headerStart;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error('.npy header truncated');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new Error(`.npy format version ${major} is not supported (1, 2 or 3)`);
  }
  if (headerStart + headerLen > bytes.length) throw new Error('.npy header runs past the end of the file');
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));

  const descrMatch = header.match(/'descr'\s*:\s*'([^']*)'/);
  const fortranMatch = header.match(/'fortran_order'\s*:\s*(True|False)/);
  const shapeMatch = header.match(/'shape'\s*:\s*\(([^)]*)\)/);
  if (!descrMatch || !fortranMatch || !shapeMatch) {
    throw new Error(`.npy header is not a dict with descr, fortran_order and shape: ${header.trim()}`);
  }
  if (fortranMatch[1] === 'True') throw new Error('.npy in Fortran order is not supported; save with C order');
  const descr = normaliseDescr(descrMatch[1]);
  const kind = BY_DESCR[descr];
  if (!kind) throw new Error(`.npy element type ${descrMatch[1]} is not supported`);
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`.npy shape has a bad dimension ${s}`);
      return n;
    });
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const need = count * kind.Array.BYTES_PER_ELEMENT;
  if (bytes.length - dataStart < need) {
    throw new Error(`.npy data holds ${bytes.length - dataStart} bytes, shape [${shape}] needs ${need}`);
  }
  // Copy into a fresh, aligned buffer: the file's data offset need not be a
  // multiple of the element size.
  const buf = new ArrayBuffer(need);
  new Uint8Array(buf).set(bytes.subarray(dataStart, dataStart + need));
  const data = new kind.Array(buf);
  return { type: kind.type, shape, data: kind.type === 'bool' ? new Uint8Array(buf) : data };
}

/**
 * Serialises a tensor as a version 1.0 .npy file.
 * @param {string} type onnxruntime tensor type (float32, int64, ...)
 * @param {number[]} shape
 * @param {ArrayBufferView} data
 * @returns {Uint8Array}
 */
export function writeNpy(type, shape, data) {
  const descr = DESCR_BY_TYPE[type];
  if (!descr) throw new Error(`cannot write tensor type ${type} as .npy`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces so that magic + version + length + header + '\n' is a
  // multiple of 64 bytes, as NumPy does.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const headerBytes = new TextEncoder().encode(header);
  if (headerBytes.length > 0xffff) throw new Error('.npy header too long for format 1.0');
  let payload;
  if (type === 'bool') {
    payload = Uint8Array.from(data, (v) => (v ? 1 : 0));
  } else {
    payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const out = new Uint8Array(10 + headerBytes.length + payload.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerBytes.length, true);
  out.set(headerBytes, 10);
  out.set(payload, 10 + headerBytes.length);
  return out;
}
