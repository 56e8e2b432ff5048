export declare const COMMON: Record<string, unknown>;
export declare function buildBrowser(outDir: string): Promise<void>;
export declare function buildDemo(outDir: string): Promise<void>;
