// Nothing is cut: dashboard widgets show all their content (every cluster of the topology, the
// picked node's pods, the world map's legend), and the register form's preview shows every
// column and keeps its last answer while a field it reads is invalid.
import { test, expect, Locator } from '@playwright/test';
import { hydrated, signInAsDemo } from './portal';

/// `inner` lies wholly inside `outer` (not clipped by it).
async function inside(inner: Locator, outer: Locator, what: string): Promise<void> {
  const [i, o] = [await inner.boundingBox(), await outer.boundingBox()];
  expect(i, `${what} is shown`).not.toBeNull();
  expect(i!.y + i!.height, `${what} ends inside its widget`).toBeLessThanOrEqual(o!.y + o!.height + 1);
  expect(i!.x + i!.width, `${what} ends inside its widget`).toBeLessThanOrEqual(o!.x + o!.width + 1);
}

for (const size of [{ width: 1280, height: 800 }, { width: 768, height: 1024 }]) {
  test(`dashboard widgets show every cluster, the picked node's pods and the map's legend at ${size.width} px`, async ({ page }) => {
    await page.setViewportSize(size);
    await signInAsDemo(page, 'alice', '/dashboard');
    await hydrated(page, () => page.getByRole('button', { name: 'Reset to default' }).click(),
      () => expect(page.getByTestId('dash-saved')).toHaveText('Back to the default'));
    await page.getByLabel('Widget').selectOption({ label: 'Fleet topology map' });
    await page.getByRole('button', { name: 'Add widget' }).click();
    const topo = page.locator('section.widget[data-widget="Topology"]');
    await expect(topo.locator('article.fleet-tile')).toHaveCount(4);
    for (const tile of await topo.locator('article.fleet-tile').all()) await inside(tile, topo, 'a cluster tile');
    await topo.locator('g.node').first().click();
    const pods = topo.locator('aside.fleet-pods');
    await expect(pods.locator('tr[data-pod]').first()).toBeVisible();
    await inside(pods.locator('tr[data-pod]').last(), topo, "the node's last pod");
    const map = page.locator('section.widget[data-widget="WorldMap"]');
    await inside(map.locator('.world-legend'), map, "the world map's legend");
    // Back to alice's default for the other specs.
    await page.getByRole('button', { name: 'Reset to default' }).click();
    await expect(page.getByTestId('dash-saved')).toHaveText('Back to the default');
  });
}

test('the preview shows every column, and keeps its last answer while a field it reads is invalid', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signInAsDemo(page, 'bob', '/workloads/new');
  const form = page.locator('form.register__form');
  await hydrated(page, () => form.getByLabel('Name', { exact: true }).fill('kept-preview'), () => expect(form.getByLabel('Name', { exact: true })).toHaveValue('kept-preview'));
  await form.getByLabel('Image', { exact: true }).fill('nginx:1.27');
  const preview = page.getByTestId('placement-preview');
  await expect(preview.locator('tr[data-candidate]').first()).toBeVisible();
  const panel = page.locator('aside.register__preview');
  await inside(preview.getByRole('columnheader', { name: 'Replicas', exact: true }), panel, 'the Replicas column');
  await inside(preview.getByTestId('monthly-cost').first(), panel, 'the cost column');
  // A bad CPU request: the preview stays, marked out of date, and says which field to fix.
  await form.getByLabel('CPU request').fill('abc');
  await expect(page.getByTestId('preview-blocked').locator('li[data-field="cpu_request"]')).toContainText('CPU request');
  await expect(preview).toHaveAttribute('data-stale', 'true');
  await expect(preview.locator('tr[data-candidate]').first()).toBeVisible();
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue('kept-preview');
  await form.getByLabel('CPU request').fill('100m');
  await expect(preview).toHaveAttribute('data-stale', 'false');
});
