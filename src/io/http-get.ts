/**
 * The one HTTP request a download makes, as download.ts needs it: a status, headers and the body
 * as chunks. Browsers (and a caller's own `fetch`, and Node behind a proxy) answer it through
 * fetch; Node otherwise through node:http (http-get.node.ts), whose body is a plain stream of
 * Buffers rather than a WHATWG ReadableStream (on loopback, fetch's body alone took ~2× curl).
 */
export interface HttpRequest {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal: AbortSignal;
  /** 'manual': a redirect is the answer (status 0 where the platform hides it, as browsers do). */
  redirect?: 'follow' | 'manual';
}

export interface HttpAnswer {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  /** The decoded body (a Content-Encoding undone), in the order it arrives. */
  body: AsyncIterable<Uint8Array>;
  /** Stops the body and frees the connection; harmless after the body ended. */
  cancel(): void;
}

export type HttpGet = (url: string, request: HttpRequest) => Promise<HttpAnswer>;

/** How many redirects a request follows (fetch's bound). */
export const MAX_REDIRECTS = 20;

/** A request answered through `f` (default the global fetch). */
export function fetchGet(f: typeof fetch = fetch): HttpGet {
  return async (url, request) => {
    const r = await f(url, { method: request.method, headers: request.headers, signal: request.signal, redirect: request.redirect });
    let done = false;
    return {
      status: r.type === 'opaqueredirect' ? 0 : r.status,
      statusText: r.statusText,
      headers: r.headers,
      body: {
        async *[Symbol.asyncIterator]() {
          if (!r.body) return;
          const reader = r.body.getReader();
          try {
            for (;;) {
              const c = await reader.read();
              if (c.done) break;
              yield c.value;
            }
            done = true;
          } finally {
            if (!done) await reader.cancel().catch(() => {});
            reader.releaseLock();
          }
        },
      },
      cancel: () => {
        if (!done && r.body && !r.body.locked) void r.body.cancel().catch(() => {});
      },
    };
  };
}
