/**
 * JSON from outside (configs, token-id files, a server's config): nesting is checked before
 * parsing, so `[[[[…` 100,000 deep is an error naming the source instead of a stack overflow, and
 * a syntax error names the source too. Size is the reader's to bound (read-file.ts, download.ts).
 */
export class JsonInputError extends Error {
  override name = 'JsonInputError';
}

/** The deepest nesting of arrays and objects in `text` (strings skipped), stopping once past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

export function parseJsonBounded(text: string, source: string, maxDepth = 32): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) throw new JsonInputError(`${source}: JSON nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonInputError(`${source}: not valid JSON (${(e as Error).message})`);
  }
}
