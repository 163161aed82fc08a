// The world map of the fleet: the demo's clusters are markers (Japan's three are one marker
// with a count until zoomed in); clicking a cluster's marker opens its page.
import { test, expect } from '@playwright/test';
import { hydrated, portalUrl, signInAsDemo } from './portal';

test('the world map shows the demo fleet; a group zooms in and a marker opens its cluster', async ({ page }) => {
  await signInAsDemo(page, 'alice', '/fleet');
  const world = page.getByTestId('world-map');
  await hydrated(page, () => page.getByRole('button', { name: 'World map' }).click(),
    () => expect(world).toBeVisible());
  // gpu-ml (us-west-2) alone; tokyo-prod, osaka-prod and onprem-dev (Yokohama) as one group.
  await expect(world.locator('a.world-marker[data-clusters="gpu-ml"]')).toHaveCount(1);
  const japan = world.locator('.world-marker--group');
  await expect(japan).toHaveCount(1);
  await expect(japan).toHaveAttribute('data-clusters', /tokyo-prod/);
  await expect(japan.locator('text')).toHaveText('3');
  await japan.hover();
  await expect(page.getByTestId('world-details')).toContainText('tokyo-prod · Amazon EKS ap-northeast-1 · 12 nodes');
  // Cost per hour of the whole cluster (alice sees every namespace), once loaded.
  await expect(page.getByTestId('world-details')).toContainText(/tokyo-prod · .* · \d+\.\d\d USD\/h/);
  await japan.click();
  await world.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press('+');
  const tokyo = world.locator('a.world-marker[data-clusters="tokyo-prod"]');
  await expect(tokyo).toHaveCount(1);
  await expect(world.locator('a.world-marker[data-clusters="osaka-prod"]')).toHaveCount(1);
  await tokyo.click();
  await expect(page).toHaveURL(/\/clusters\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('tokyo-prod');
});

test('bob sees only the clusters where his projects run on the world map', async ({ page }) => {
  await signInAsDemo(page, 'bob', '/fleet');
  await hydrated(page, () => page.getByRole('button', { name: 'World map' }).click(),
    () => expect(page.getByTestId('world-map')).toBeVisible());
  const api = await (await page.request.get(portalUrl('/api/v1/fleet'))).json();
  const visible = api.map((t: any) => t.cluster.name).sort();
  const shown = (await page.getByTestId('world-map').locator('[data-clusters]').evaluateAll((els) => els.flatMap((e) => e.getAttribute('data-clusters')!.split(' ')))).sort();
  // Each cluster bob may see is a marker, or listed under the map when it has no location.
  const unplaced = await page.getByTestId('world-unplaced').locator('a').count();
  for (const name of shown) expect(visible).toContain(name);
  expect(shown.length + unplaced).toBe(visible.length);
  expect(shown).toContain('tokyo-prod');
  expect(shown).not.toContain('gpu-ml');
});
