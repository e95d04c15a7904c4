// Deterministic CIFAR-10-shaped test data: no real CIFAR-10 is available
// offline, and speed does not depend on what the pixels show. Records are
// CIFAR-10 binary (one label byte, then the 32x32 red, green and blue
// planes), written as test_batch.bin so Pare's loader recognises them.
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const side = 32;
export const recordBytes = 1 + 3 * side * side;

// mulberry32: a tiny seeded generator, so every run and every runtime
// sees the same bytes.
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** cifarRecords returns n seeded random records (labels 0..9). */
export function cifarRecords(n, seed = 20261126) {
  const next = generator(seed);
  const out = new Uint8Array(n * recordBytes);
  for (let i = 0; i < n; i++) {
    const r = i * recordBytes;
    out[r] = Math.floor(next() * 10);
    for (let j = 1; j < recordBytes; j++) out[r + j] = Math.floor(next() * 256);
  }
  return out;
}

/** writeCIFAR writes dir/test_batch.bin (unless it already holds the same n records) and returns its path. */
export async function writeCIFAR(dir, n, seed) {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'test_batch.bin');
  const want = cifarRecords(n, seed);
  const have = await readFile(file).catch(() => null);
  if (!have || Buffer.compare(have, want) !== 0) await writeFile(file, want);
  return file;
}
