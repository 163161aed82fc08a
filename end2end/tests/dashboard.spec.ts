// Dashboards: bob arranges his own (add, move, remove), reloads and finds it kept, then resets;
// alice publishes a layout as the default for project owners, carol (an owner) sees it, and
// alice withdraws it again.
import { test, expect } from '@playwright/test';
import { afterwards, apiAs, hydrated, portalUrl, restore, runAfterwards, signInAsDemo } from './portal';

test.afterEach(runAfterwards);

const kinds = async (page: any) => page.getByTestId('dashboard').locator('section.widget').evaluateAll((els: Element[]) => els.map((e) => e.getAttribute('data-widget')));

test('bob adds, moves and removes widgets; the layout is kept across a reload and resets to the default', async ({ page }) => {
  // A developer lands on his workloads, the clusters' health and the low-priority queue.
  await signInAsDemo(page, 'bob');
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await expect(page.getByTestId('dash-source')).toHaveText('Showing the built-in default');
  const builtIn = ['MyWorkloads', 'ClusterHealth', 'LowPriorityQueue'];
  expect(await kinds(page)).toEqual(builtIn);
  await expect(page.getByTestId('my-workloads')).toContainText('team-a');
  await hydrated(page, () => page.getByLabel('Widget').selectOption({ label: 'Cluster utilisation' }),
    () => expect(page.getByLabel('Widget')).toHaveValue('ClusterUtilisation'));
  await page.getByRole('button', { name: 'Add widget' }).click();
  const util = page.locator('section.widget[data-widget="ClusterUtilisation"]');
  await expect(util).toContainText('tokyo-prod');
  expect(await kinds(page)).toEqual([...builtIn, 'ClusterUtilisation']);
  // Up until it is first.
  for (let i = 0; i < 6; i++) await util.getByRole('button', { name: 'Move up' }).click();
  await expect.poll(async () => (await kinds(page))[0]).toBe('ClusterUtilisation');
  await util.getByRole('button', { name: 'Wider' }).click();
  await expect(page.getByTestId('dash-source')).toHaveText('Showing your own layout');
  await page.locator('section.widget[data-widget="LowPriorityQueue"]').getByRole('button', { name: 'Remove' }).click();
  await expect.poll(() => kinds(page)).not.toContain('LowPriorityQueue');
  const arranged = await kinds(page);
  const place = (w: any) => w.evaluate((el: HTMLElement) => `${el.style.gridColumn} ${el.style.gridRow}`);
  const style = await place(util);
  await expect(page.getByTestId('dash-saved')).toHaveText('All changes saved');
  await page.reload();
  await expect.poll(() => kinds(page)).toEqual(arranged);
  await expect.poll(() => place(page.locator('section.widget[data-widget="ClusterUtilisation"]'))).toBe(style);
  await expect(page.getByTestId('dash-source')).toHaveText('Showing your own layout');
  await hydrated(page, () => page.getByRole('button', { name: 'Reset to default' }).click(),
    () => expect(page.getByTestId('dash-saved')).toHaveText('Back to the default'));
  await expect(page.getByTestId('dash-source')).toHaveText('Showing the built-in default');
  await expect.poll(() => kinds(page)).toEqual(builtIn);
  await expect(page.getByRole('button', { name: "Publish as the role's default" })).toHaveCount(0);
});

test('an administrator publishes a default for project owners; carol sees it', async ({ page, browser }) => {
  await signInAsDemo(page, 'alice', '/dashboard');
  await expect(page.getByTestId('dash-source')).toContainText('Showing');
  // Start from alice's default (a layout of hers from an earlier run is forgotten).
  await hydrated(page, () => page.getByRole('button', { name: 'Reset to default' }).click(),
    () => expect(page.getByTestId('dash-saved')).toHaveText('Back to the default'));
  await expect(page.getByTestId('dash-source')).not.toHaveText('Showing your own layout');
  await expect.poll(() => kinds(page)).not.toContain('LowPriorityQueue');
  await hydrated(page, () => page.getByLabel('Widget').selectOption({ label: 'Low-priority queue' }),
    () => expect(page.getByLabel('Widget')).toHaveValue('LowPriorityQueue'));
  await page.getByRole('button', { name: 'Add widget' }).click();
  await expect(page.locator('section.widget[data-widget="LowPriorityQueue"]')).toContainText('batch-thumbnails');
  const published = await kinds(page);
  await page.getByLabel('Role').selectOption({ label: 'Project owner' });
  await page.getByRole('button', { name: "Publish as the role's default" }).click();
  await expect(page.getByText('Published.')).toBeVisible();
  // Whatever happens next, project owners get the built-in default back afterwards.
  const admin = await apiAs('alice');
  afterwards(() => restore(admin, 'delete', '/api/v1/dashboards/defaults/owner'));

  const carol = await (await browser.newContext()).newPage();
  await signInAsDemo(carol, 'carol', '/dashboard');
  // Her own layout, if an earlier run left one, gives way to the published default.
  await hydrated(carol, () => carol.getByRole('button', { name: 'Reset to default' }).click(),
    () => expect(carol.getByTestId('dash-saved')).toHaveText('Back to the default'));
  await expect(carol.getByTestId('dash-source')).toHaveText('Showing the default for Project owner');
  await expect.poll(() => kinds(carol)).toEqual(published);
  await expect(carol.locator('section.widget[data-widget="LowPriorityQueue"]')).toContainText('batch-thumbnails');
  // The audit widget is for those who may read the audit log: carol is told so in words.
  await carol.getByLabel('Widget').selectOption({ label: 'Recent audit events' });
  await carol.getByRole('button', { name: 'Add widget' }).click();
  await expect(carol.locator('section.widget[data-widget="AuditEvents"]')).toContainText(/not allowed|may not|permission/i);

  // alice withdraws the default: carol, back on the default, sees the built-in one for owners.
  await page.getByRole('button', { name: "Withdraw the role's default" }).click();
  await expect(page.getByText('Withdrawn: the role sees the built-in default.')).toBeVisible();
  await carol.getByRole('button', { name: 'Reset to default' }).click();
  await expect(carol.getByTestId('dash-saved')).toHaveText('Back to the default');
  await expect(carol.getByTestId('dash-source')).toHaveText('Showing the built-in default');
  await expect.poll(() => kinds(carol)).not.toContain('LowPriorityQueue');
  // carol (an owner, not an administrator) may not withdraw defaults: refused in words.
  const owner = await apiAs('carol');
  const refused = await owner.delete('/api/v1/dashboards/defaults/developer');
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error).toMatch(/permission/);
});

test('widget settings choose the project, metric and time range, and are kept', async ({ page }) => {
  await signInAsDemo(page, 'carol');
  await expect(page.getByTestId('dash-source')).toContainText('Showing');
  const add = async (label: string, kind: string) => {
    await hydrated(page, () => page.getByLabel('Widget').selectOption({ label }),
      () => expect(page.getByLabel('Widget')).toHaveValue(kind));
    await page.getByRole('button', { name: 'Add widget' }).click();
    const widget = page.locator(`section.widget[data-widget="${kind}"]`).last();
    await expect(widget).toBeVisible();
    return widget;
  };
  // Cost over time: team-b over the last 30 days, drawn as stacked bars.
  const cost = await add('Cost over time', 'CostOverTime');
  await expect(cost.locator('.widget__subject')).toHaveText('all your projects · last 7 days');
  await cost.getByRole('button', { name: 'Settings' }).click();
  await cost.getByLabel('Project').selectOption('team-b');
  await cost.getByLabel('Time range').selectOption({ label: 'Last 30 days' });
  await expect(cost.locator('.widget__subject')).toHaveText('team-b · last 30 days');
  await expect(cost.getByTestId('cost-chart').locator('svg')).toBeVisible();
  // Utilisation bars per cluster, by memory.
  const util = await add('Cluster utilisation', 'ClusterUtilisation');
  await expect(util.getByTestId('utilisation-bars')).toContainText('CPU in use');
  await util.getByRole('button', { name: 'Settings' }).click();
  await util.getByLabel('Metric').selectOption('memory');
  await expect(util.getByTestId('utilisation-bars')).toContainText('Memory in use');
  expect(await util.locator('.util-bars li').count()).toBeGreaterThan(0);
  // The month against the budget, for carol's project.
  const budget = await add('Budget status', 'BudgetStatus');
  await expect(budget.locator('li[data-project="team-b"]')).toContainText(/spent in \d{4}-\d{2}/);
  // Top workloads of team-b.
  const top = await add('Top workloads by cost', 'TopWorkloads');
  await top.getByRole('button', { name: 'Settings' }).click();
  await top.getByLabel('Project').selectOption('team-b');
  await expect(top.getByTestId('top-workloads')).toBeVisible();
  await expect(page.getByTestId('dash-saved')).toHaveText('All changes saved');
  await page.reload();
  const kept = page.locator('section.widget[data-widget="CostOverTime"]').last();
  await expect(kept.locator('.widget__subject')).toHaveText('team-b · last 30 days');
  await expect(page.locator('section.widget[data-widget="ClusterUtilisation"]').last().getByTestId('utilisation-bars')).toContainText('Memory in use');
  await hydrated(page, () => kept.getByRole('button', { name: 'Settings' }).click(),
    () => expect(kept.getByLabel('Time range')).toHaveValue('30'));
  await expect(kept.getByLabel('Project')).toHaveValue('team-b');
});

test('without JavaScript the dashboard still shows its widgets and their data', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const res = await context.request.post(portalUrl('/auth/demo'), { form: { login: 'alice', next: '/' }, headers: { origin: new URL(portalUrl()).origin }, maxRedirects: 0 });
  expect(res.status()).toBe(303);
  const page = await context.newPage();
  await page.goto(portalUrl('/'));
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await expect(page.getByText('Loading your dashboard…')).toHaveCount(0);
  const widgets = page.getByTestId('dashboard').locator('section.widget');
  expect(await widgets.count()).toBeGreaterThan(0);
  // alice's layout: the clusters' health and utilisation above the world map.
  await expect(page.locator('section.widget[data-widget="ClusterHealth"]')).toContainText('tokyo-prod');
  await expect(page.getByTestId('utilisation-bars').first()).toContainText('tokyo-prod');
  await expect(page.getByTestId('world-map').locator('.world-marker').first()).toBeVisible();
  await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
  await context.close();
});
