// The bench page's server. The bench page drives Pare's own worker pool
// (www/js/pool.js, www/worker.js) and onnxruntime-web side by side, so
// both must come from one origin under the app's Content-Security-Policy.
// Everything outside /pagebench/ is proxied unchanged to `pare serve`
// (the real app, with its real headers and its brotli or gzip encodings,
// which the proxy passes through untouched and counts as sent); /pagebench/
// is served from disk here with the same security headers, so the page
// runs under exactly the policy the app does.
import { createServer, request as httpRequest } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, extname, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

// The headers cmd/pare/serve.go sets on every response.
export const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
  "worker-src 'self' blob:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'";

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json',
  '.onnx': 'application/octet-stream', '.bin': 'application/octet-stream',
};
const compressible = new Set(['.html', '.js', '.mjs', '.css', '.wasm', '.json', '.onnx']);

/**
 * startBenchServer listens on 127.0.0.1 (a free port) and returns {url, close}.
 * @param {object} o
 * @param {string} o.upstream the URL of `pare serve`, e.g. http://127.0.0.1:1234/
 * @param {Record<string, string>} o.mounts URL prefix under /pagebench/ (e.g. "ort/") -> folder on disk
 * @param {Record<string, string>} o.files exact URL path -> file on disk
 * @param {(path: string, bytes: number, status: number, encoding: string|null, acceptEncoding: string) => void} [o.onProxied]
 *   called after each proxied response with the body bytes sent (as encoded)
 *   and the Accept-Encoding the browser asked with
 */
export async function startBenchServer({ upstream, mounts = {}, files = {}, onProxied = () => {} }) {
  const up = new URL(upstream);
  const gzCache = new Map();
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!path.startsWith('/pagebench/')) {
      proxy(req, res, up, onProxied);
      return;
    }
    try {
      const file = resolve(path, mounts, files);
      if (!file || !(await stat(file)).isFile()) throw new Error('not found');
      const ext = extname(file).toLowerCase();
      let body = await readFile(file);
      const headers = {
        'Content-Type': types[ext] || 'application/octet-stream',
        'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff',
        'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cache-Control': 'no-cache', Vary: 'Accept-Encoding',
      };
      if (compressible.has(ext) && /\bgzip\b/.test(req.headers['accept-encoding'] || '')) {
        // Compressed once per file: ort-web's wasm is 10+ MB.
        if (!gzCache.has(file)) gzCache.set(file, gzipSync(body, { level: 9 }));
        body = gzCache.get(file);
        headers['Content-Encoding'] = 'gzip';
      }
      headers['Content-Length'] = String(body.length);
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Security-Policy': csp });
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }),
  };
}

// resolve maps a /pagebench/ path to a file, refusing anything that
// escapes its mount.
function resolve(path, mounts, files) {
  if (files[path]) return files[path];
  const rest = path.slice('/pagebench/'.length);
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!rest.startsWith(prefix)) continue;
    const file = normalize(join(dir, rest.slice(prefix.length)));
    if (file.startsWith(normalize(dir) + sep)) return file;
  }
  return null;
}

function proxy(req, res, up, onProxied) {
  const forward = httpRequest({
    host: up.hostname, port: up.port, path: req.url, method: req.method,
    headers: { ...req.headers, host: up.host },
  }, (upRes) => {
    res.writeHead(upRes.statusCode, upRes.headers);
    let bytes = 0;
    upRes.on('data', (chunk) => { bytes += chunk.length; });
    upRes.on('end', () => onProxied(new URL(req.url, 'http://x').pathname, bytes, upRes.statusCode, upRes.headers['content-encoding'] || null, req.headers['accept-encoding'] || ''));
    upRes.pipe(res);
  });
  forward.on('error', (err) => {
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end(`pare serve did not answer: ${err.message}`);
  });
  req.pipe(forward);
}
