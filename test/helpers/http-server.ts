/**
 * A local HTTP server for tests: files laid out like the hub (`/<org>/<repo>/resolve/main/<file>`)
 * or any path, folders mounted under a prefix, and faults on demand (a truncated body, a wrong
 * sha256 ETag, a slow stream, no Content-Length). It records every request, so a test can show
 * that a cached load did not reach the network. CORS is open, as the hub's is, so pages served
 * from another port can fetch from it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';

export interface Route {
  body: Uint8Array | string;
  type?: string;
  /** Send the body's sha256 as the ETag (as the hub does for large files), or this ETag. */
  etag?: 'sha256' | string;
  /** Announce the full length but close the connection after this many bytes. */
  truncateAt?: number;
  /** Send in chunks of this size with `delayMs` between them. */
  chunk?: number;
  delayMs?: number;
  /** Omit Content-Length (chunked transfer). */
  noLength?: boolean;
  status?: number;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json', '.css': 'text/css', '.png': 'image/png', '.jpg': 'image/jpeg', '.wasm': 'application/wasm' };

export class TestServer {
  /** Paths requested, in order; a HEAD request as 'HEAD <path>' (so count() counts the bodies served). */
  readonly requests: string[] = [];
  private readonly routes = new Map<string, Route>();
  private readonly mounts: [string, string][] = [];
  private server!: Server;
  url = '';

  /** Whether every response carries COOP/COEP, making its pages cross-origin isolated (SharedArrayBuffer, threads). */
  private isolated = false;

  static async start(o: { crossOriginIsolated?: boolean } = {}): Promise<TestServer> {
    const s = new TestServer();
    s.isolated = o.crossOriginIsolated ?? false;
    s.server = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as { port: number }).port}`;
    return s;
  }

  /** Serves `route` at `path` (which starts with '/'). */
  set(path: string, route: Route | Uint8Array | string): this {
    this.routes.set(path, route instanceof Uint8Array || typeof route === 'string' ? { body: route } : route);
    return this;
  }

  /** A hub file: /<repo>/resolve/main/<file>, with a sha256 ETag like the hub's for large files. */
  hub(repo: string, file: string, body: Uint8Array | string, extra: Partial<Route> = {}): string {
    const path = `/${repo}/resolve/main/${file}`;
    this.set(path, { body, etag: 'sha256', ...extra });
    return this.url + path;
  }

  /** Serves the files under `dir` at `prefix` (e.g. '/dist/'). */
  mount(prefix: string, dir: string): this {
    this.mounts.push([prefix, dir]);
    return this;
  }

  count(path: string): number {
    return this.requests.filter((r) => r === path).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private find(path: string): Route | null {
    const r = this.routes.get(path);
    if (r) return r;
    for (const [prefix, dir] of this.mounts) {
      if (!path.startsWith(prefix)) continue;
      const rel = normalize(decodeURIComponent(path.slice(prefix.length)));
      if (rel.startsWith('..')) return null;
      const file = join(dir, rel || 'index.html');
      try {
        const f = statSync(file).isDirectory() ? join(file, 'index.html') : file;
        return { body: readFileSync(f), type: TYPES[extname(f)] };
      } catch {
        return null;
      }
    }
    return null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    this.requests.push(req.method === 'HEAD' ? `HEAD ${path}` : path);
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-length, etag');
    res.setHeader('cache-control', 'no-store');
    if (this.isolated) {
      res.setHeader('cross-origin-opener-policy', 'same-origin');
      res.setHeader('cross-origin-embedder-policy', 'require-corp');
    }
    const route = this.find(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    const body = typeof route.body === 'string' ? new TextEncoder().encode(route.body) : route.body;
    const headers: Record<string, string> = { 'content-type': route.type ?? TYPES[extname(path)] ?? 'application/octet-stream' };
    if (!route.noLength) headers['content-length'] = String(body.byteLength);
    if (route.etag) headers.etag = `"${route.etag === 'sha256' ? createHash('sha256').update(body).digest('hex') : route.etag}"`;
    res.writeHead(route.status ?? 200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const end = route.truncateAt ?? body.byteLength;
    const step = route.chunk ?? (end || 1);
    for (let at = 0; at < end; at += step) {
      if (res.destroyed) return;
      res.write(body.subarray(at, Math.min(end, at + step)));
      if (route.delayMs) await new Promise((r) => setTimeout(r, route.delayMs));
    }
    if (route.truncateAt !== undefined) {
      // Let the client take the headers and the partial body first: a cut mid-body, not a refused request.
      await new Promise((r) => setTimeout(r, 50));
      res.destroy();
    }
    else res.end();
  }
}
