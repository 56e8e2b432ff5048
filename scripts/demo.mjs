// Builds the demo page (demo/ → dist/demo/) and serves it on 127.0.0.1.
//
//   npm run demo -- --port 8080                       # http://127.0.0.1:8080/
//   npm run demo -- --port 8080 --mount /files/=../shared/fixtures   # local weights at /files/…
//   npm run demo -- --build-only
//
// The page takes query parameters (weights, config or model, vocab, images, labels, query, dtype,
// worker=0) and then runs without clicks, writing its result as JSON into #result.
import { createReadStream, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { buildDemo } from './bundles.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const usage = 'usage: npm run demo -- [--port N] [--host 127.0.0.1] [--mount /prefix/=DIR]… [--build-only]';
for (let i = 0; i < args.length; i++) {
  if (['--port', '--host', '--mount'].includes(args[i])) i++;
  else if (args[i] !== '--build-only') {
    console.error(`demo: unknown argument ${args[i]}\n${usage}`);
    process.exit(2);
  }
}
const port = Number(opt('port', '8080'));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`demo: --port takes a port number, got ${opt('port')}\n${usage}`);
  process.exit(2);
}
const host = opt('host', '127.0.0.1');
const out = resolve('dist/demo');

rmSync(out, { recursive: true, force: true });
await buildDemo(out);
if (args.includes('--build-only')) {
  console.log(`demo: built ${out}`);
  process.exit(0);
}

const mounts = [['/', out]];
args.forEach((a, i) => {
  if (a !== '--mount') return;
  const [prefix, dir] = args[i + 1].split('=');
  if (!prefix?.startsWith('/') || !prefix.endsWith('/') || !dir) {
    console.error(`demo: --mount takes /prefix/=DIR, got ${args[i + 1]}`);
    process.exit(2);
  }
  mounts.unshift([prefix, resolve(dir)]);
});
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const [prefix, dir] = mounts.find(([p]) => path.startsWith(p));
  const rel = normalize(path.slice(prefix.length));
  let file = join(dir, rel);
  if (rel.startsWith('..') || !file.startsWith(dir)) return void res.writeHead(403).end('forbidden');
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    const size = statSync(file).size;
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-cache', 'access-control-allow-origin': '*' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
  }
});
server.on('error', (e) => {
  console.error(`demo: cannot listen on ${host}:${port} (${e.message})`);
  process.exit(1);
});
server.listen(port, host, () => console.log(`demo: serving http://${host}:${server.address().port}/ (Ctrl-C stops)`));
