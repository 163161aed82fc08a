import { Page, test, expect } from '@playwright/test';
import { hydrated, portalUrl, signInAsDemo } from './portal';

test('health check answers 200 with the database status', async ({ request }) => {
  const res = await request.get(portalUrl('/healthz'));
  expect(res.status()).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', database: 'sqlite' });
});

test('a signed-out visitor is sent to the login page, which offers the demo accounts', async ({ page }) => {
  await page.goto(portalUrl('/costs'));
  await expect(page).toHaveURL(/\/login\?next=%2Fcosts$/);
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  for (const login of ['alice', 'bob', 'carol']) {
    await expect(page.getByRole('button', { name: `Continue as ${login}` })).toBeVisible();
  }
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
});

test('the shell is rendered on the server, before any script runs', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  // Sign-in is a plain form: it works without JavaScript too.
  await signInAsDemo(page, 'alice', '/fleet');
  await expect(page.getByRole('link', { name: 'Flotilla' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Dashboard', 'Fleet', 'Workloads', 'Costs', 'Admin']) {
    await expect(nav.getByRole('link', { name })).toBeVisible();
  }
  await expect(page.getByRole('heading', { name: 'Fleet', level: 1 })).toBeVisible();
  // The fleet map arrives drawn: a tile per cluster, a cell per node.
  await expect(page.getByText(/\d+ clusters · \d+ nodes · \d+ pods/)).toBeVisible();
  for (const cluster of ['tokyo-prod', 'osaka-prod', 'onprem-dev', 'gpu-ml']) {
    await expect(page.locator(`article.fleet-tile[aria-label="${cluster}"]`)).toBeVisible();
  }
  const tokyo = page.locator('article.fleet-tile[aria-label="tokyo-prod"]');
  await expect(tokyo).toContainText('Amazon EKS');
  await expect(tokyo.locator('g.node')).toHaveCount(12);
  await context.close();
});

test('the page hydrates: the user menu opens and closes without a reload', async ({ page }) => {
  await signInAsDemo(page, 'alice');
  await page.evaluate(() => ((window as any).__noReload = true));
  const button = page.getByRole('button', { name: /Alice Admin/ });
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await hydrated(page, () => button.click(), () => expect(page.getByRole('menu', { name: 'User menu' })).toBeVisible());
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('menu')).toContainText('Administrator');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toBeHidden();
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
});

test('the theme toggle switches to dark and is remembered', async ({ page }) => {
  await page.goto(portalUrl('/login'));
  const toggle = page.getByRole('button', { name: /Theme:/ });
  await hydrated(page, () => toggle.click(), () => expect(page.locator('html')).toHaveAttribute('data-theme', 'light'));
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(bg).toBe('rgb(15, 20, 26)');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

/// The wasm files this document loaded.
async function wasmLoaded(page: Page): Promise<string[]> {
  return page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm')));
}

test('a page of another group loads with its own bundle; inside a group navigation happens in the browser', async ({ page }) => {
  await signInAsDemo(page, 'alice');
  await hydrated(page, () => page.getByRole('button', { name: /Alice Admin/ }).click(), () => expect(page.getByRole('menu')).toBeVisible());
  expect(await wasmLoaded(page)).toEqual([expect.stringMatching(/^\/pkg\/flotilla-dashboard\.[0-9a-f]{16}\.wasm$/)]);
  // The dashboard's bundle has no Admin page: the server renders it and sends the admin bundle.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Users' }).getByRole('cell', { name: 'alice@demo.flotilla.test', exact: true })).toBeVisible();
  await expect(page).toHaveTitle('People · Admin · Flotilla');
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
  expect(await wasmLoaded(page)).toEqual([expect.stringMatching(/^\/pkg\/flotilla-admin\.[0-9a-f]{16}\.wasm$/)]);
  // Admin's tabs are pages of the same group, reached in the browser.
  await page.evaluate(() => ((window as any).__noReload = true));
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Projects' }).click();
  await expect(page).toHaveURL(/\/admin\/projects$/);
  await expect(page.getByRole('region', { name: 'Projects' }).getByRole('cell', { name: 'Team B — data platform' })).toBeVisible();
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  await expect(page).toHaveTitle('Projects · Admin · Flotilla');
  // Back to the dashboard: a page load again, the browser's history intact.
  await page.goBack();
  await expect(page).toHaveURL(/\/admin$/);
  await page.goBack();
  await expect(page).toHaveURL(portalUrl('/'));
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
});

test('an unknown address shows the 404 page with status 404', async ({ page }) => {
  await signInAsDemo(page, 'bob');
  const res = await page.goto(portalUrl('/does/not/exist'));
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to your dashboard' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
});

test('dark mode follows the system until the visitor picks a theme', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(portalUrl('/login'));
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(await background()).toBe('rgb(15, 20, 26)');
  const toggle = page.getByRole('button', { name: /Theme:/ });
  await hydrated(page, () => toggle.click(), () => expect(page.locator('html')).toHaveAttribute('data-theme', 'light'));
  expect(await background()).toBe('rgb(246, 247, 249)');
  await context.close();
});
