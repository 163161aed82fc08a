// The first load of each page stays within its transfer budget (end2end/budget.json): a size
// check, not a timing test. The times are measured by scripts/bench-bundle.
import { test, expect } from '@playwright/test';
import { portalUrl } from './portal';
import { budget, coldTransfer, countNetwork, freshContext, wasmAndJs } from './transfer';

for (const { path, signedIn, wasmJsBytes } of budget.pages) {
  test(`a cold load of ${path} moves at most ${wasmJsBytes} bytes of wasm and JavaScript`, async ({ browser }) => {
    test.slow();
    const t = await coldTransfer(browser, path, signedIn);
    expect(t.wasmJs, `wasm + JS of ${path}: ${JSON.stringify(t.files)}`).toBeGreaterThan(0);
    expect(t.wasmJs, `wasm + JS of ${path}: ${JSON.stringify(t.files)}`).toBeLessThanOrEqual(wasmJsBytes);
  });
}

test('a warm reload moves no wasm: the bundle is cached for good under its hashed name', async ({ browser }) => {
  const context = await freshContext(browser, true);
  const page = await context.newPage();
  await page.goto(portalUrl('/fleet'));
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  const files = await countNetwork(context, page);
  await page.reload();
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  expect(files['/fleet'], 'the page itself is fetched again').toBeGreaterThan(0);
  expect(wasmAndJs(files), `nothing of the bundle comes over the network again: ${JSON.stringify(files)}`).toBe(0);
  await context.close();
});
