/**
 * Text cleaning as open_clip's SimpleTokenizer does it for MobileCLIP (clean mode "lower"):
 *   ftfy.fix_text → html.unescape twice → strip → ' '.join(split()) → lower()
 * ftfy comes from `ftfy-js`, a port of python-ftfy at a pinned upstream commit, which reproduces
 * every fixture case (mojibake repair included). `entities`' decodeHTML implements the HTML5
 * character-reference algorithm that Python's html.unescape follows (legacy entities without ';',
 * numeric references, the C1 remapping).
 */
import { fix_text } from 'ftfy-js';
import { decodeHTML } from 'entities';

/** Python's str.split()/strip() whitespace: Unicode White_Space plus the separators \x1c–\x1f. */
const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPLIT = new RegExp(`[${PY_WS}]+`, 'u');
const STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'gu');

export const pyStrip = (s: string): string => s.replace(STRIP, '');

/** ' '.join(s.split()) */
export const pyCollapseWhitespace = (s: string): string => pyStrip(s).split(SPLIT).filter((w) => w.length > 0).join(' ');

/** Python's str.lower(): per code point, so no context rules (Σ is always σ, never final ς). */
export function pyLower(s: string): string {
  // JavaScript's only context rule in toLowerCase is the final sigma; without Σ the two agree.
  if (!s.includes('\u03a3')) return s.toLowerCase();
  let out = '';
  for (const ch of s) out += ch.toLowerCase();
  return out;
}

export function cleanText(text: string): string {
  let t = fix_text(text);
  t = decodeHTML(decodeHTML(t));
  t = pyStrip(t);
  return pyLower(pyCollapseWhitespace(t));
}
