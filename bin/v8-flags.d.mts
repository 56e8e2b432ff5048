/** Types for v8-flags.mjs (the launcher's V8 flags), for vitest.config.ts. */
export declare function v8Flags(): string[];
