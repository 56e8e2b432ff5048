/**
 * The local server bench/download.ts downloads from, in its own process so that serving does not
 * share an event loop with the download being timed. Serves argv[2] (the checkpoint) at
 * /apple/mobileclip_s0.pt and /synthetic.safetensors and argv[3] (the vocabulary) at
 * /clip/vocab.txt.gz; argv[4], when not 0, paces the body to that many bytes per second.
 * Prints its port on stdout once listening.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [body, vocab] = [readFileSync(process.argv[2]), readFileSync(process.argv[3])];
const rate = Number(process.argv[4] ?? 0);
const server = createServer((req, res) => {
  const b = req.url === '/apple/mobileclip_s0.pt' || req.url === '/synthetic.safetensors' ? body : req.url === '/clip/vocab.txt.gz' ? vocab : null;
  if (!b) return res.writeHead(404).end();
  res.writeHead(200, { 'content-length': String(b.byteLength), 'content-type': 'application/octet-stream' });
  if (!rate) return res.end(b);
  // Paced: 1 MB pieces on a schedule that keeps the average at `rate` (waiting for the socket when it is behind).
  const piece = 1 << 20;
  const t0 = performance.now();
  const send = (at: number): void => {
    if (at >= b.byteLength) return void res.end();
    const more = res.write(b.subarray(at, at + piece));
    const due = t0 + ((at + piece) / rate) * 1000 - performance.now();
    const next = () => setTimeout(() => send(at + piece), Math.max(0, due));
    if (more) next();
    else res.once('drain', next);
  };
  send(0);
});
server.listen(0, '127.0.0.1', () => console.log((server.address() as { port: number }).port));
