// precompress.mjs FILE...: writes FILE.br (brotli, quality 11) and FILE.gz
// (gzip -9) beside each file, so `pare serve` sends the smallest encoding a
// browser accepts without compressing on the first request.
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/precompress.mjs FILE...');
  process.exit(2);
}
for (const file of files) {
  const raw = readFileSync(file);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(file + '.br', br);
  writeFileSync(file + '.gz', gz);
  console.log(`${file}: ${raw.length} bytes, brotli ${br.length}, gzip ${gz.length}`);
}
