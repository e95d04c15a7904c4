// Sizes of the app's files as a browser would receive them: raw, gzip -9
// and brotli quality 11 (node's zlib), from the files on disk.
import { readFile } from 'node:fs/promises';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

/** compressedSizes returns {raw, gzip, brotli} byte counts of a file. */
export async function compressedSizes(file) {
  const data = await readFile(file);
  return {
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        // Large window: what `brotli -q 11 --large_window`-less encoders use
        // for files over 4 MB (lgwin 24, the format's maximum).
        [constants.BROTLI_PARAM_LGWIN]: 24,
      },
    }).length,
  };
}
