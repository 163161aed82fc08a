// Below the cluster page: a node's own page with its pods (namespace, project, requests,
// usage, cost now), reached from the cluster page, its heatmap and the topology; zoomed-in nodes are
// labelled by the part of their name that tells them apart; another project's pods stay hidden.
import { test, expect } from '@playwright/test';
import { hydrated, portalUrl, signInAsDemo } from './portal';

test('an administrator opens a node from the cluster page and sees its pods with project and cost', async ({ page }) => {
  await signInAsDemo(page, 'alice', '/fleet');
  const tokyo = (await (await page.request.get(portalUrl('/api/v1/clusters'))).json()).find((c: any) => c.name === 'tokyo-prod');
  await page.goto(portalUrl(`/clusters/${tokyo.id}`));
  const first = page.locator('#node-table tbody tr').first().getByRole('link');
  const name = (await first.textContent())!;
  await first.click();
  await expect(page).toHaveURL(portalUrl(`/clusters/${tokyo.id}/nodes/${name}`));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await expect(page).toHaveTitle(new RegExp(`^${name.replace(/\./g, '\\.')}`));
  await expect(page.getByTestId('node-facts')).toContainText('CPU');
  const table = page.locator('#node-pods');
  await expect(table.getByRole('columnheader')).toHaveText(['Pod', 'Namespace', 'Project', 'Phase', 'CPU (used of requested)', 'Memory', 'Cost now']);
  await expect(table.locator('tbody tr').first()).toBeVisible();
  await expect(table.locator('tbody tr').first().locator('td').last()).toContainText(/USD\/h|no price/);
  // Back up through the breadcrumb.
  await page.locator('.breadcrumb a').nth(1).click();
  await expect(page.locator('#node-table')).toBeVisible();
  // The heatmap's rows open their node too (a click on a row, or its link below the chart).
  const heat = page.getByRole('region', { name: 'Utilisation over time' });
  // The first snapshot is taken within a minute of the cluster connecting.
  await expect(async () => {
    await page.reload();
    await expect(heat.locator('.heatmap__nodes a').first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  const last = heat.locator('.heatmap__nodes a').last();
  const other = (await last.textContent())!;
  await hydrated(page, () => last.click(), () => expect(page).toHaveURL(portalUrl(`/clusters/${tokyo.id}/nodes/${other}`)));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(other);
});

test('zoomed in, nodes are labelled by what tells them apart, and a developer\'s node page shows only his pods', async ({ page }) => {
  await signInAsDemo(page, 'bob', '/fleet');
  const tile = page.locator('article.fleet-tile[aria-label="tokyo-prod"]');
  await expect(tile).toBeVisible({ timeout: 15_000 });
  await hydrated(page, () => tile.getByRole('button', { name: 'tokyo-prod' }).click(), () => expect(page.locator('.fleet-tile--zoomed')).toHaveCount(1));
  const labels = await page.locator('.fleet-tile--zoomed text.node-label--small').allTextContents();
  expect(labels.length).toBeGreaterThan(1);
  expect(new Set(labels).size, `labels tell nodes apart: ${labels}`).toBe(labels.length);
  for (const l of labels) expect(l).not.toBe('internal');
  await page.getByLabel('Namespace').selectOption('team-a');
  await page.locator('.fleet-tile--zoomed g.node:not(.dim)').first().click();
  const panel = page.locator('aside.fleet-pods');
  await expect(panel.locator('tr[data-pod]').first()).toBeVisible();
  await panel.getByRole('heading').getByRole('link').click();
  const rows = page.locator('#node-pods tbody tr');
  await expect(rows.first()).toBeVisible();
  for (const text of await rows.allTextContents()) expect(text).toContain('team-a');
  await expect(page.locator('#node-pods')).not.toContainText('team-b');
});
