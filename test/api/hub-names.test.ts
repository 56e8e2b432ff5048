/**
 * `hf-hub:` names are parsed as the hub allows them, and no name sends a request outside the hub's
 * base: a table of names (good and hostile), and a local server under a path prefix that records
 * any request outside it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { hubFileUrl, parseHubRef, weightsUrl } from '../../src/api/sources.js';
import { resolveModel } from '../../src/api/model-files.js';

const BASE = 'http://hub.test/hubprefix';
const url = (name: string, file?: string) => {
  const ref = parseHubRef(name);
  return hubFileUrl(ref, file ?? ref.file ?? 'open_clip_model.safetensors', { hubUrl: BASE });
};

// [name as given, the URL it fetches (default file: open_clip_model.safetensors) or the error it gives]
const GOOD: [string, string][] = [
  ['hf-hub:timm/MobileCLIP2-S0-OpenCLIP', `${BASE}/timm/MobileCLIP2-S0-OpenCLIP/resolve/main/open_clip_model.safetensors`],
  ['hf-hub:apple/MobileCLIP-B-LT-OpenCLIP@v1.0', `${BASE}/apple/MobileCLIP-B-LT-OpenCLIP/resolve/v1.0/open_clip_model.safetensors`],
  ['hf-hub:org/repo@0123456789abcdef0123456789abcdef01234567', `${BASE}/org/repo/resolve/0123456789abcdef0123456789abcdef01234567/open_clip_model.safetensors`],
  ['hf-hub:org/repo@refs/pr/1', `${BASE}/org/repo/resolve/refs%2Fpr%2F1/open_clip_model.safetensors`],
  ['hf-hub:org/repo@refs/pr/12/sub/model.safetensors', `${BASE}/org/repo/resolve/refs%2Fpr%2F12/sub/model.safetensors`],
  ['hf-hub:org/repo@refs/convert/parquet/x.parquet', `${BASE}/org/repo/resolve/refs%2Fconvert%2Fparquet/x.parquet`],
  ['hf-hub:org/repo/weights/model.pt', `${BASE}/org/repo/resolve/main/weights/model.pt`],
  ['hf-hub:org/repo@dev/a b#c?.safetensors', `${BASE}/org/repo/resolve/dev/a%20b%23c%3F.safetensors`],
  ['hf-hub:Org_1/re.po-2', `${BASE}/Org_1/re.po-2/resolve/main/open_clip_model.safetensors`],
  ['hf-hub:org/repo@v1.2+build', `${BASE}/org/repo/resolve/v1.2%2Bbuild/open_clip_model.safetensors`],
];

const BAD: [string, RegExp][] = [
  ['hf-hub:../..@..', /the org "\.\." is not a hub name/],
  ['hf-hub:org/repo@..', /the revision "\.\." is not a branch, tag, commit or refs\/pr\/<n>/],
  ['hf-hub:org/repo@.', /the revision "\." is not/],
  ['hf-hub:./repo', /the org "\." is not a hub name/],
  ['hf-hub:org/..', /the repo "\.\." is not a hub name/],
  ['hf-hub:org/.hidden', /the repo "\.hidden" is not a hub name/],
  ['hf-hub:org/repo.', /the repo "repo\." is not a hub name/],
  ['hf-hub:-org/repo', /the org "-org" is not a hub name/],
  ['hf-hub:org/re..po', /the repo "re\.\.po" is not a hub name/],
  ['hf-hub:org/re--po', /the repo "re--po" is not a hub name/],
  ['hf-hub:org', /names no <org>\/<repo>/],
  ['hf-hub:org/', /names no <org>\/<repo>/],
  ['hf-hub:/repo', /names no <org>\/<repo>/],
  ['hf-hub:', /names no <org>\/<repo>/],
  ['hf-hub:org/repo@', /the revision "" is not/],
  ['hf-hub:org/repo@refs/pr', /the revision "refs\/pr" is incomplete/],
  ['hf-hub:org/repo@refs/pr/x', /the revision "refs\/pr\/x" is not/],
  ['hf-hub:org/repo/../../etc/passwd', /the file "\.\.\/\.\.\/etc\/passwd" has an empty, '\.' or '\.\.' segment/],
  ['hf-hub:org/repo//x', /the file "\/x" has an empty/],
  ['hf-hub:org/repo/a\\b', /the file "a\\\\b" has/],
  ['hf-hub:org/repo@main/../x', /the file "\.\.\/x" has/],
  ['hf-hub:org/repo/file@main', /a file comes after the revision/],
  ['hf-hub:o%2e%2e/repo', /the org "o%2e%2e" is not a hub name/],
  ['hf-hub:org/repo@ma in', /the revision "ma in" is not/],
  [`hf-hub:${'a'.repeat(97)}/repo`, /is not a hub name/],
  ['hub:org/repo', /does not start with hf-hub:/],
];

describe('hf-hub names', () => {
  it.each(GOOD)('%s → its URL under the base', (name, want) => {
    expect(url(name)).toBe(want);
    expect(weightsUrl(name, { hubUrl: BASE })).toBe(want);
  });

  it.each(BAD)('%s is refused, quoted as given', (name, re) => {
    let err: Error | null = null;
    try {
      url(name);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('HubRefError');
    expect(err!.message).toMatch(re);
    expect(err!.message.startsWith(`${JSON.stringify(name)} is not a hub reference`)).toBe(true);
  });

  it('a hub base that is not http(s) is refused', () => {
    expect(() => hubFileUrl({ repo: 'org/repo', revision: 'main' }, 'x', { hubUrl: 'file:///etc/' })).toThrow(/is not http\(s\)/);
  });
});

describe('no request leaves the hub base', () => {
  let server: Server;
  let base = '';
  const outside: string[] = [];
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url!);
      if (!req.url!.startsWith('/hubprefix/')) outside.push(req.url!);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/hubprefix`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('names good and bad, through resolveModel (config) and weightsUrl (weights): every request is under /hubprefix/', async () => {
    for (const [name] of [...GOOD, ...BAD]) {
      await resolveModel(name, { sources: { hubUrl: base }, cache: null }).catch(() => {});
      let u: string | null = null;
      try {
        u = weightsUrl(name, { hubUrl: base });
      } catch {
        /* refused: nothing fetched */
      }
      if (u) await fetch(u).catch(() => {});
    }
    expect(outside).toEqual([]);
    expect(seen.length).toBeGreaterThanOrEqual(GOOD.length);
  });
});
