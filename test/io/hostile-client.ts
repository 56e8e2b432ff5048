/**
 * One load as a user makes it, in its own process (so a hang can be killed and the peak memory is
 * its own): createModelAndTransforms(config, { weights, vocab, cache, timeouts }) and one image
 * embedding. Prints one JSON line: { ok, head } or { error: { name, message } }, and maxRssKb.
 * Usage: hostile-client.ts JSON (see the suite for the fields).
 */
import { createModelAndTransforms } from '../../src/api/node.js';
import { FolderCache } from '../../src/io/byte-cache.node.js';

const a = JSON.parse(process.argv[2]) as { model: string; weights?: string; vocab?: string | false; cache: string; connectMs: number; idleMs: number; image: string; text?: string; hubUrl?: string };
const say = (o: object) => process.stdout.write(`${JSON.stringify({ ...o, maxRssKb: process.resourceUsage().maxRSS })}\n`);
try {
  const { model, dispose } = await createModelAndTransforms(a.model, { weights: a.weights, vocab: a.vocab ?? false, cache: new FolderCache(a.cache), timeouts: { connectMs: a.connectMs, idleMs: a.idleMs }, precompile: 'none', sources: { hubUrl: a.hubUrl } });
  const e = a.text ? await model.encodeTexts([a.text]) : await model.encodeImages([a.image]);
  dispose();
  say({ ok: true, head: Array.from(e.data.subarray(0, 8)) });
} catch (e) {
  say({ error: { name: (e as Error).name, message: (e as Error).message } });
}
process.exit(0);
