// Files the user gives the page, by the Open buttons or by dropping them
// anywhere: gathered with their relative paths (folders are walked), sorted
// into a model or data, checked against size limits before anything is
// read, then read into ArrayBuffers for the workers.

import { formatBytes } from './format.js';

const params = new URLSearchParams(location.search);

/** Limits on what the page reads at once (the URL can lower them). */
export const limits = {
  maxFiles: Number(params.get('maxFiles')) || 200000,
  maxBytes: Number(params.get('maxBytes')) || 1024 * 2 ** 20,
};

/**
 * A picked file: path relative to what was picked, and the File.
 * @typedef {{path: string, file: File}} Picked
 */

/** fromInput lists the files of an <input type=file> (folders included). */
export function fromInput(input) {
  return [...input.files].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** fromDrop lists every file of a drop, walking dropped folders. */
export async function fromDrop(dataTransfer) {
  const entries = [...dataTransfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((e) => e === null)) {
    return [...dataTransfer.files].map((file) => ({ path: file.name, file }));
  }
  const out = [];
  for (const entry of entries) await walk(entry, '', out);
  return out;
}

async function walk(entry, prefix, out) {
  if (out.length > limits.maxFiles) return;
  const path = prefix + entry.name;
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ path, file });
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    // readEntries returns at most 100 entries per call in Chromium.
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, path + '/', out);
  }
}

/** isModel says whether the files are a model (an .onnx among them). */
export function isModel(picked) {
  return picked.some((p) => /\.onnx$/i.test(p.path));
}

/** checkLimits refuses empty or oversized selections before any reading. */
export function checkLimits(picked, what) {
  const visible = picked.filter((p) => !/(^|\/)\./.test(p.path));
  if (visible.length === 0) {
    throw Object.assign(new Error(`The ${what} you gave holds no files. Give a folder with one sub-folder of PNG/JPEG images per class, a .zip of one, MNIST IDX files or CIFAR-10 batches.`), { code: 'empty-data' });
  }
  if (visible.length > limits.maxFiles) {
    throw Object.assign(new Error(`The ${what} holds more than ${limits.maxFiles.toLocaleString('en-US')} files, too many for the browser. Use a subset, or the pare CLI (pare eval).`), { code: 'too-large' });
  }
  const bytes = visible.reduce((s, p) => s + p.file.size, 0);
  if (bytes > limits.maxBytes) {
    throw Object.assign(new Error(`The ${what} holds ${formatBytes(bytes)}, more than the ${formatBytes(limits.maxBytes)} the page reads at once. Use a subset, or the pare CLI (pare eval).`), { code: 'too-large' });
  }
  return visible;
}

/** readAll reads the files into {path, bytes: ArrayBuffer}. */
export async function readAll(picked, onProgress) {
  const out = [];
  let done = 0;
  for (const p of picked) {
    out.push({ path: p.path, bytes: await p.file.arrayBuffer() });
    done++;
    if (onProgress && done % 200 === 0) onProgress(done, picked.length);
  }
  return out;
}

/** fetchFiles downloads files of this site (the bundled demo). */
export async function fetchFiles(base, names) {
  return Promise.all(names.map(async (name) => {
    const response = await fetch(base + name);
    if (!response.ok) throw new Error(`cannot load ${base}${name} (HTTP ${response.status})`);
    return { path: name, bytes: await response.arrayBuffer() };
  }));
}
