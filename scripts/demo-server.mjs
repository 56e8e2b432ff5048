// The demo's static file server, safe to run on a laptop with a browser open: another web page
// must not read the user's files through it.
//
// - It answers only Host headers naming the address it serves (DNS rebinding: a page on
//   attacker.example whose name now resolves to 127.0.0.1 sends Host: attacker.example), sends no
//   Access-Control-Allow-Origin (the demo page is same-origin), and sends COOP/COEP so the page is
//   cross-origin isolated.
// - It serves only regular files whose real path (symlinks resolved) lies inside their mount,
//   never a dotfile or anything under a dot-folder; the file is opened first and checked through
//   its descriptor, so a FIFO, device or socket is refused without blocking and nothing swapped in
//   between a check and the open is read.
// - Every problem is a response, never an exit: malformed URLs, directories, vanished files,
//   slow or stalled clients (header and request timeouts).
//
// Why not sirv or esbuild's serve: neither checks that a file's real path stays inside the served
// folder, nor the Host header, and both follow symlinks out of it.
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { createServer } from 'node:http';
import { isIP } from 'node:net';
import { extname, join, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.gz': 'application/gzip',
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The Host header values that name this server: its address (and, on loopback, every loopback spelling), with the port. */
function allowedHosts(host, port, extra) {
  const names = LOOPBACK.has(host) ? ['127.0.0.1', 'localhost', '[::1]'] : [isIP(host) === 6 ? `[${host}]` : host];
  return new Set([...names, ...extra].map((n) => `${n}:${port}`.toLowerCase()));
}

/** A wildcard bind (0.0.0.0, ::) answers IP literals (no DNS name can rebind to one) and the names given. */
function hostAllowed(header, allowed, wildcard, port) {
  const h = (header ?? '').toLowerCase();
  if (allowed.has(h)) return true;
  if (!wildcard) return false;
  const m = /^(\[[0-9a-f:.]+\]|[0-9.]+):(\d+)$/.exec(h);
  return !!m && Number(m[2]) === port && isIP(m[1].replace(/^\[|\]$/g, '')) !== 0;
}

const reply = (res, status, text, headers = {}) => {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(`${text}\n`);
};

/** The mount `path` falls under and the path inside it, or null. */
function route(mounts, path) {
  const m = mounts.find(([prefix]) => path.startsWith(prefix));
  return m ? { root: m[1], rel: path.slice(m[0].length) } : null;
}

/** Opens `file` for reading if it is a regular file; null for anything else (the descriptor closed). */
async function openRegular(file) {
  let fh;
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
    const st = await fh.stat();
    if (st.isFile()) return { fh, size: st.size };
    await fh.close();
    return null;
  } catch (e) {
    await fh?.close().catch(() => {});
    if (['ENOENT', 'ENOTDIR', 'ELOOP', 'EISDIR', 'ENXIO', 'EACCES', 'EPERM'].includes(e.code)) return null;
    throw e;
  }
}

/**
 * `options`: { mounts: [prefix, dir][] (prefixes start and end with '/'), host, port, allowHosts?,
 * requestTimeoutMs?, headersTimeoutMs?, log? }. Resolves to the listening server.
 */
export async function startDemoServer(options) {
  const { host, log = () => {} } = options;
  // Real paths of the roots, so a root that is itself a symlink is compared as what it points at.
  const mounts = await Promise.all(options.mounts.map(async ([prefix, dir]) => [prefix, await realpath(dir)]));
  const headersTimeout = options.headersTimeoutMs ?? 20_000;
  const server = createServer({ requestTimeout: options.requestTimeoutMs ?? 60_000, headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) });
  let allowed = new Set();
  const wildcard = host === '0.0.0.0' || host === '::';

  server.on('request', async (req, res) => {
    try {
      res.setHeader('cross-origin-opener-policy', 'same-origin');
      res.setHeader('cross-origin-embedder-policy', 'credentialless');
      if (!hostAllowed(req.headers.host, allowed, wildcard, server.address().port)) return reply(res, 421, `this server answers ${[...allowed].join(', ')}${wildcard ? ' or an IP address' : ''} only`);
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'GET or HEAD only', { allow: 'GET, HEAD' });
      let path;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      } catch {
        return reply(res, 400, 'malformed URL');
      }
      if (/[\0\\]/.test(path)) return reply(res, 400, 'malformed path');
      const r = route(mounts, path);
      const segments = r ? r.rel.split('/') : [];
      // No '.' / '..' segments, no dotfiles or dot-folders (.env, .git/…).
      if (!r || segments.some((s) => s.startsWith('.'))) return reply(res, 404, 'not found');
      let file = join(r.root, ...segments);
      let real;
      try {
        real = await realpath(file);
      } catch {
        return reply(res, 404, 'not found');
      }
      if (real !== r.root && !real.startsWith(r.root + sep)) return reply(res, 404, 'not found'); // a link out of the mount
      let opened = await openRegular(real);
      if (!opened) {
        // A folder serves its index.html (checked the same way); anything else is not served.
        const index = await realpath(join(real, 'index.html')).catch(() => null);
        opened = index && index.startsWith(r.root + sep) ? await openRegular(index) : null;
        if (opened) file = index;
      }
      if (!opened) return reply(res, 404, 'not found');
      const { fh, size } = opened;
      res.writeHead(200, { 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      if (req.method === 'HEAD' || size === 0) {
        await fh.close();
        return void res.end();
      }
      // Exactly the size the descriptor had: a file that grows meanwhile cannot make the body unbounded.
      const stream = fh.createReadStream({ start: 0, end: size - 1 });
      stream.on('error', () => res.destroy());
      res.on('close', () => stream.destroy());
      stream.pipe(res);
    } catch (e) {
      log(`demo: ${req.url}: ${e.message}`);
      reply(res, 500, 'internal error');
    }
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  allowed = allowedHosts(host, server.address().port, options.allowHosts ?? []);
  return server;
}
