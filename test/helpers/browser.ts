/**
 * Debian's Chromium driven by playwright-core (which downloads no browser): headless, WebGPU on
 * (SwiftShader where there is no GPU), the background networking this closed machine refuses
 * turned off. MOBILECLIP_CHROMIUM names another executable. A missing browser skips the suite
 * with a warning outside CI and fails it under CI=true (the setup script installs it).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = [process.env.MOBILECLIP_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p)) ?? null;

export function haveChromium(): boolean {
  if (CHROMIUM) return true;
  if (process.env.CI) throw new Error('CI: no Chromium found (/usr/bin/chromium); npm run setup installs it (scripts/install-chromium.sh), or set MOBILECLIP_CHROMIUM');
  console.warn('no Chromium found: the real-browser tests are skipped (npm run setup installs it)');
  return false;
}

/** Chromium with WebGPU on (default), or off (`webgpu: false`: navigator.gpu gives no adapter, as Chrome on many Linux set-ups). */
export function launchChromium(o: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM!,
    headless: true,
    args: ['--no-sandbox', ...(o.webgpu === false ? ['--disable-features=WebGPU'] : ['--enable-unsafe-webgpu']), '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-default-apps'],
  });
}
