// Test inputs the browser tests make themselves: tiny ONNX models (a
// protobuf writer for the few ModelProto fields they need), PNG images and
// folders of them.
import { deflateSync, deflateRawSync } from 'node:zlib';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// --- protobuf wire format ---
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const tag = (field, wire) => varint((field << 3) | wire);
const int = (field, n) => [...tag(field, 0), ...varint(n)];
const bytes = (field, b) => [...tag(field, 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...Buffer.from(s)]);
const msg = (field, parts) => bytes(field, parts.flat());

function valueInfo(field, name, dims) {
  const dimParts = dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return msg(field, [str(1, name), msg(2, [msg(1, [int(1, 1), msg(2, dimParts)])])]);
}

function floatTensor(field, name, dims, values) {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return msg(field, [...dims.map((d) => int(1, d)), int(2, 1), str(8, name), bytes(9, [...raw])]);
}

/**
 * externalFloatTensor is a float TensorProto (field number `field` of its
 * parent) whose values live in another file: data_location EXTERNAL with
 * the location, offset and length keys Pare reads.
 */
function externalFloatTensor(field, name, dims, location, offset, length) {
  const entry = (k, v) => msg(13, [str(1, k), str(2, String(v))]);
  return msg(field, [...dims.map((d) => int(1, d)), int(2, 1), str(8, name),
    entry('location', location), entry('offset', offset), entry('length', length), int(14, 1)]);
}

function node(op, inputs, outputs, name, { domain, ints = {}, strings = {}, doc } = {}) {
  const attrs = [
    ...Object.entries(ints).map(([k, v]) => msg(5, [str(1, k), ...v.map((x) => int(8, x)), int(20, 7)])),
    ...Object.entries(strings).map(([k, v]) => msg(5, [str(1, k), str(4, v), int(20, 3)])),
  ];
  return msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, op), ...attrs,
    ...(doc ? [str(6, doc)] : []), ...(domain ? [str(7, domain)] : [])]);
}

/** model encodes a ModelProto. */
export function model({ nodes, inputs, outputs, initializers = [], opsets = [['', 13]], producer = 'pare browser tests', doc, metadata = {} }) {
  const graph = msg(7, [...nodes, str(2, 'g'), ...initializers, ...(doc ? [str(10, doc)] : []), ...inputs, ...outputs]);
  return Buffer.from([...int(1, 7), ...str(2, producer), ...(doc ? str(6, doc) : []), ...graph,
    ...opsets.flatMap(([d, v]) => msg(8, [str(1, d), int(2, v)])),
    ...Object.entries(metadata).flatMap(([k, v]) => msg(14, [str(1, k), str(2, v)]))]);
}

/**
 * externalDataModel is a one-layer classifier of 1x28x28 images into
 * classes: a Conv with a full-image kernel (weights: classes x 784 floats)
 * and a bias, flattened to [N, classes]. Both initializers are stored in
 * the file named `location` (weights at offset 0, the bias after them);
 * it returns {model, data}, the bytes of the .onnx and of that file.
 */
export function externalDataModel(weights, bias, location = 'weights.bin') {
  const classes = bias.length;
  const data = Buffer.alloc((weights.length + bias.length) * 4);
  [...weights, ...bias].forEach((v, i) => data.writeFloatLE(v, i * 4));
  const model_ = model({
    nodes: [node('Conv', ['x', 'w', 'b'], ['c'], 'templates', { ints: { kernel_shape: [28, 28] } }),
      node('Flatten', ['c'], ['y'], 'flatten')],
    inputs: [valueInfo(11, 'x', ['N', 1, 28, 28])],
    outputs: [valueInfo(12, 'y', ['N', classes])],
    initializers: [externalFloatTensor(5, 'w', [classes, 1, 28, 28], location, 0, weights.length * 4),
      externalFloatTensor(5, 'b', [classes], location, weights.length * 4, bias.length * 4)],
  });
  return { model: model_, data };
}

/**
 * Markup a hostile model or data set might carry in its names: each, if
 * parsed as HTML or SVG, would run code that sets window.__pareXSS.
 */
export const hostile = {
  img: '<img src=x onerror="window.__pareXSS=1">',
  svg: '"><svg onload="window.__pareXSS=2">',
  attr: "' onmouseover='window.__pareXSS=3' x='",
  script: '</text><script>window.__pareXSS=4</script>',
};

/**
 * hostileModel carries markup in every string a page might render: node
 * names, op types, domain, input and output names, initializer names,
 * attribute strings, doc strings, producer and metadata. One op type is
 * not a real operator, so the model is also listed as unsupported.
 */
export function hostileModel() {
  const w = `w${hostile.attr}`;
  return model({
    nodes: [
      node('Relu', [`x${hostile.img}`], ['a'], hostile.img, { doc: hostile.script }),
      node('Conv', ['a', w], ['b'], hostile.svg, { ints: { kernel_shape: [1, 1] }, strings: { auto_pad: 'NOTSET', note: hostile.script } }),
      node(hostile.svg, ['b'], [`y${hostile.img}`], hostile.attr, { domain: `com.${hostile.img}` }),
    ],
    inputs: [valueInfo(11, `x${hostile.img}`, ['N', 1, 28, 28])],
    outputs: [valueInfo(12, `y${hostile.img}`, ['N', 2, 28, 28])],
    initializers: [floatTensor(5, w, [2, 1, 1, 1], [0.5, -0.5])],
    opsets: [['', 13], [`com.${hostile.img}`, 1]],
    producer: hostile.svg,
    doc: hostile.script,
    metadata: { [hostile.img]: hostile.svg },
  });
}

/** unsupportedModel uses two operators no runtime knows. */
export function unsupportedModel() {
  return model({
    nodes: [node('Relu', ['x'], ['a'], 'relu'), node('FrobnicateChannels', ['a'], ['b'], 'frob1', { domain: 'com.example' }),
      node('Wibble', ['b'], ['y'], 'wibble1', { domain: 'com.example' })],
    inputs: [valueInfo(11, 'x', ['N', 1, 28, 28])],
    outputs: [valueInfo(12, 'y', ['N', 10])],
    opsets: [['', 13], ['com.example', 1]],
  });
}

/** hugeActivationModel: a 1x1 Conv to 65,536 channels of 128x128: 4 GiB for one image. */
export function hugeActivationModel() {
  const c = 65536;
  return model({
    nodes: [node('Conv', ['x', 'w'], ['y'], 'wide', { ints: { kernel_shape: [1, 1] } })],
    inputs: [valueInfo(11, 'x', ['N', 1, 128, 128])],
    outputs: [valueInfo(12, 'y', ['N', c, 128, 128])],
    initializers: [floatTensor(5, 'w', [c, 1, 1, 1], new Array(c).fill(0.5))],
  });
}

// --- PNG ---
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** png encodes a gray image (width x height bytes) as PNG. */
export function png(width, height, pixel) {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = pixel(x, y);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // gray
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * imageFolder writes classes x perClass PNGs into a fresh folder and
 * returns its path; classNames, when given, names the class sub-folders.
 */
export async function imageFolder(classes, perClass, { name = 'images', classNames = null } = {}) {
  const root = join(await mkdtemp(join(tmpdir(), 'pare-data-')), name);
  for (let c = 0; c < classes; c++) {
    const dir = join(root, classNames ? classNames[c] : `class${String(c).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < perClass; i++) await writeFile(join(dir, `img${i}.png`), png(28, 28, (x, y) => ((x * (c + 1) + y * (i + 1)) * 7) & 255));
  }
  return root;
}

/**
 * zip encodes files ([{name, data}], names with "/" for folders) as a
 * .zip archive, deflated, with no folder entries.
 */
export function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of files) {
    const nameBytes = Buffer.from(name);
    const packed = deflateRawSync(data);
    const crc = crc32(data);
    const common = Buffer.alloc(26);
    common.writeUInt16LE(20, 0); // version needed
    common.writeUInt16LE(0x0800, 2); // UTF-8 names
    common.writeUInt16LE(8, 4); // deflate
    common.writeUInt32LE(0, 6); // time and date
    common.writeUInt32LE(crc, 10);
    common.writeUInt32LE(packed.length, 14);
    common.writeUInt32LE(data.length, 18);
    common.writeUInt16LE(nameBytes.length, 22);
    common.writeUInt16LE(0, 24); // extra length
    const local = Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), common, nameBytes, packed]);
    const tail = Buffer.alloc(16); // comment length, disk, internal and external attributes, offset
    tail.writeUInt32LE(offset, 12);
    centrals.push(Buffer.concat([Buffer.from([0x50, 0x4b, 1, 2]), Buffer.from([20, 0]), common, tail.subarray(2), nameBytes]));
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, central, end]);
}

/** tempFile writes bytes to a fresh file and returns its path. */
export async function tempFile(name, data) {
  const dir = await mkdtemp(join(tmpdir(), 'pare-file-'));
  const p = join(dir, name);
  await writeFile(p, data);
  return p;
}
