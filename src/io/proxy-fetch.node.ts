/**
 * Downloads through the proxy the environment names, as curl and huggingface_hub do: Node's own
 * fetch ignores HTTPS_PROXY, HTTP_PROXY and NO_PROXY. With one of the proxy variables set, fetches
 * go through undici's EnvHttpProxyAgent (the maintained implementation of those variables' rules:
 * per-scheme proxy, NO_PROXY hosts, ports and suffixes), loaded only then.
 */
/** A variable as curl reads it: the lower-case name first, and an empty value is unset. */
const variable = (env: NodeJS.ProcessEnv, name: string) => env[name.toLowerCase()] || env[name] || undefined;

/** A fetch that honours the proxy variables, or undefined when none is set (the global fetch then). */
export function proxyFetchFromEnv(env: NodeJS.ProcessEnv = process.env): typeof fetch | undefined {
  const httpProxy = variable(env, 'HTTP_PROXY');
  const httpsProxy = variable(env, 'HTTPS_PROXY');
  if (!httpProxy && !httpsProxy) return undefined;
  let proxied: Promise<typeof fetch> | null = null;
  const load = async (): Promise<typeof fetch> => {
    const undici = await import('undici');
    // Given explicitly: undici would take an empty variable as set (no proxy at all).
    const dispatcher = new undici.EnvHttpProxyAgent({ httpProxy, httpsProxy, noProxy: variable(env, 'NO_PROXY') ?? '' });
    return ((input: string | URL | Request, init?: RequestInit) => undici.fetch(input as Parameters<typeof undici.fetch>[0], { ...(init as object), dispatcher } as Parameters<typeof undici.fetch>[1])) as unknown as typeof fetch;
  };
  return (async (input: string | URL | Request, init?: RequestInit) => (await (proxied ??= load()))(input, init)) as typeof fetch;
}
