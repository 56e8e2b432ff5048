/**
 * Runs fuzz cases in their own process, one JSON line per event on stdout, so the parent can
 * kill a hung case and name its seed. Usage: child.ts CLASS SEED... (fixtures and vocab from env).
 */
import { FUZZ_CLASSES, type FuzzClass, loadContext, runCase } from './targets.js';

const [cls, ...seeds] = process.argv.slice(2);
if (!FUZZ_CLASSES.includes(cls as FuzzClass)) throw new Error(`unknown fuzz class ${cls}`);
const ctx = loadContext(process.env.MOBILECLIP_FIXTURES!, process.env.FUZZ_VOCAB!);
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
for (const s of seeds.map(Number)) {
  say({ start: s });
  const t0 = performance.now();
  let outcome;
  try {
    outcome = await runCase(cls as FuzzClass, s, ctx);
  } catch (e) {
    outcome = { kind: 'finding', strategy: 'harness', detail: `escaped: ${(e as Error)?.stack ?? String(e)}` };
  }
  say({ seed: s, ms: performance.now() - t0, rss: process.memoryUsage().rss, ...outcome });
}
say({ done: true, maxRssKb: process.resourceUsage().maxRSS });
