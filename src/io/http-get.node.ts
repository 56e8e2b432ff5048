/**
 * A download's request through node:http / node:https (http-get.ts says why not fetch): redirects
 * followed as fetch follows them (at most MAX_REDIRECTS; an Authorization header is dropped when a
 * redirect leaves the origin, so a hub token never reaches its CDN), a compressed body decoded
 * (no Accept-Encoding is sent, but a server may compress anyway), errors that keep Node's code
 * (ECONNREFUSED, ENOTFOUND, a certificate's). The signal aborts the request and its body.
 * Proxies are not handled here: with a proxy variable set, Node downloads through fetch
 * (proxy-fetch.node.ts).
 */
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type HttpAnswer, type HttpGet, MAX_REDIRECTS } from './http-get.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HttpGetError extends Error {
  override name = 'HttpGetError';
}

function send(url: URL, method: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((answered, failed) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, signal }, answered);
    req.on('error', failed);
    req.end();
  });
}

/** The body with its Content-Encoding undone; an error in either stream ends the iteration. */
function decoded(res: IncomingMessage): Readable {
  const encoding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : null;
  if (encoding !== 'identity' && !decoder) {
    res.destroy();
    throw new HttpGetError(`the body came in an encoding this client does not read (Content-Encoding: ${encoding})`);
  }
  return decoder ? pipeline(res, decoder, () => {}) : res;
}

export const nodeHttpGet: HttpGet = async (start, request) => {
  let url = new URL(start);
  const headers = { ...request.headers };
  const method = request.method ?? 'GET';
  for (let redirects = 0; ; redirects++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpGetError(`a redirect led to ${url.protocol} (only http and https are fetched)`);
    const res = await send(url, method, headers, request.signal);
    const location = res.headers.location;
    if (request.redirect === 'manual' || !REDIRECTS.has(res.statusCode ?? 0) || location === undefined) {
      const body = method === 'HEAD' ? null : decoded(res);
      return {
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: { get: (name: string) => headerValue(res, name) },
        body: body ?? (async function* () {})(),
        cancel: () => {
          res.destroy();
          body?.destroy();
        },
      } satisfies HttpAnswer;
    }
    res.destroy();
    if (redirects === MAX_REDIRECTS) throw new HttpGetError(`more than ${MAX_REDIRECTS} redirects (a redirect loop?)`);
    const next = new URL(location, url);
    // As fetch does: credentials for one origin are not sent to another.
    if (next.origin !== url.origin) for (const k of Object.keys(headers)) if (k.toLowerCase() === 'authorization') delete headers[k];
    url = next;
  }
};

function headerValue(res: IncomingMessage, name: string): string | null {
  const v = res.headers[name.toLowerCase()];
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}
