/** An http(s) (or, in browsers, relative) URL's body as bytes; a failure names the URL and the status. */
export async function fetchBytes(url: URL | string, what = 'request'): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new Error(`${what}: ${String(url)} could not be fetched (${(e as Error).message})`);
  }
  if (!r.ok) throw new Error(`${what}: ${String(url)} answered HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}`);
  return new Uint8Array(await r.arrayBuffer());
}
