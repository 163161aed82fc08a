// What a cold load of a page moves over the network, and how soon it answers clicks, measured
// through Chromium's DevTools protocol. Shared by the budget check (budget.spec.ts) and the
// benchmark (scripts/bench-bundle).
import { Browser, BrowserContext, Page, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { portalUrl } from './portal';

/// The pages whose first load is budgeted, each with its budget (end2end/budget.json).
export const budget: { pages: { path: string; signedIn: boolean; wasmJsBytes: number }[]; ttiMs: number } = JSON.parse(
  readFileSync(join(__dirname, '..', 'budget.json'), 'utf8'),
);

export type Transfer = { path: string; wasmJs: number; total: number; files: Record<string, number> };

/// A new browser context (empty cache), signed in as the demo's alice when asked.
export async function freshContext(browser: Browser, signedIn: boolean): Promise<BrowserContext> {
  const context = await browser.newContext();
  if (signedIn) {
    const res = await context.request.post(portalUrl('/auth/demo'), {
      form: { login: 'alice', next: '/' },
      headers: { origin: new URL(portalUrl()).origin },
      maxRedirects: 0,
    });
    expect(res.status(), 'the demo sign-in answers with a redirect').toBe(303);
  }
  return context;
}

/// Bytes received over the network (headers included, as sent: compressed) per path, from now
/// on; answers from the browser's cache count nothing.
export async function countNetwork(context: BrowserContext, page: Page): Promise<Record<string, number>> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map<string, string>();
  const files: Record<string, number> = {};
  cdp.on('Network.responseReceived', (e) => {
    if (!e.response.fromDiskCache && !e.response.fromPrefetchCache && !e.response.fromServiceWorker) urls.set(e.requestId, e.response.url);
  });
  cdp.on('Network.requestServedFromCache', (e) => urls.delete(e.requestId));
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId);
    if (url) files[new URL(url).pathname] = (files[new URL(url).pathname] ?? 0) + e.encodedDataLength;
  });
  return files;
}

/// The bytes of wasm and JavaScript among `files`.
export function wasmAndJs(files: Record<string, number>): number {
  return Object.entries(files).filter(([f]) => /\/pkg\/.*\.(wasm|js)$/.test(f)).reduce((n, [, b]) => n + b, 0);
}

/// Loads `path` in a fresh context until the page is hydrated and the network is quiet.
export async function coldTransfer(browser: Browser, path: string, signedIn: boolean): Promise<Transfer> {
  const context = await freshContext(browser, signedIn);
  const page = await context.newPage();
  const files = await countNetwork(context, page);
  await page.goto(portalUrl(path));
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 60_000 });
  await page.waitForLoadState('networkidle');
  await context.close();
  const total = Object.values(files).reduce((n, b) => n + b, 0);
  return { path, wasmJs: wasmAndJs(files), total, files };
}

/// Milliseconds from navigation start until the page is hydrated (answers clicks), cold, with
/// the network at 10 Mbit/s and 40 ms round trips and the CPU slowed 4×.
export async function timeToInteractive(browser: Browser, path: string, signedIn: boolean): Promise<number> {
  const context = await freshContext(browser, signedIn);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 40, downloadThroughput: 10_000_000 / 8, uploadThroughput: 10_000_000 / 8 });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.hasAttribute('data-hydrated')) {
        (window as unknown as { __hydratedAt: number }).__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  await page.goto(portalUrl(path));
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 60_000 });
  const at = await page.evaluate(() => (window as unknown as { __hydratedAt: number }).__hydratedAt);
  await context.close();
  return at;
}
