// Builds the demo page (demo/ → dist/demo/) and serves it on 127.0.0.1 (scripts/demo-server.mjs).
//
//   npm run demo -- --port 8080                       # http://127.0.0.1:8080/
//   npm run demo -- --port 8080 --mount /files/=../shared/fixtures   # local weights at /files/…
//   npm run demo -- --build-only
//
// The page takes query parameters (weights, config or model, vocab, images, labels, query, dtype,
// worker=0) and then runs without clicks, writing its result as JSON into #result.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildDemo } from './bundles.mjs';
import { startDemoServer } from './demo-server.mjs';

const args = process.argv.slice(2);
const usage = 'usage: npm run demo -- [--port N] [--host 127.0.0.1] [--allow-host NAME]… [--mount /prefix/=DIR]… [--header-timeout SECONDS] [--build-only]';
const fail = (msg) => {
  console.error(`demo: ${msg}\n${usage}`);
  process.exit(2);
};
const valued = ['--port', '--host', '--mount', '--allow-host', '--header-timeout'];
const values = (name) => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []));
for (let i = 0; i < args.length; i++) {
  if (valued.includes(args[i])) {
    if (args[i + 1] === undefined) fail(`${args[i]} needs a value`);
    i++;
  } else if (args[i] !== '--build-only') fail(`unknown argument ${args[i]}`);
}
const port = Number(values('port').at(-1) ?? '8080');
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port takes a port number, got ${values('port').at(-1)}`);
const host = values('host').at(-1) ?? '127.0.0.1';
const headerTimeout = Number(values('header-timeout').at(-1) ?? '20');
if (!(headerTimeout > 0 && headerTimeout <= 3600)) fail(`--header-timeout takes seconds (0 < s ≤ 3600), got ${values('header-timeout').at(-1)}`);
const out = resolve('dist/demo');
const mounts = [];
for (const m of values('mount')) {
  const eq = m.indexOf('=');
  const [prefix, dir] = eq < 0 ? [m, ''] : [m.slice(0, eq), m.slice(eq + 1)];
  if (!prefix.startsWith('/') || !prefix.endsWith('/') || prefix === '/' || !dir) fail(`--mount takes /prefix/=DIR (a prefix other than /), got ${m}`);
  mounts.push([prefix, resolve(dir)]);
}

rmSync(out, { recursive: true, force: true });
await buildDemo(out);
if (args.includes('--build-only')) {
  console.log(`demo: built ${out}`);
  process.exit(0);
}

let server;
try {
  // Longest prefixes first; the page itself at /.
  server = await startDemoServer({ mounts: [...mounts.sort((a, b) => b[0].length - a[0].length), ['/', out]], host, port, allowHosts: values('allow-host'), headersTimeoutMs: headerTimeout * 1000, log: (m) => console.error(m) });
} catch (e) {
  console.error(`demo: cannot serve on ${host}:${port} (${e.message})`);
  process.exit(1);
}
const a = server.address();
console.log(`demo: serving http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/ (Ctrl-C stops)`);
