// Project owners see what their work costs: a chart drawn in the browser, a CSV export, a
// budget that alerts; never another team's costs. Administrators see idle cost per cluster.
import { test, expect, Page } from '@playwright/test';
import { afterwards, apiAs, hydrated, portalUrl, restore, runAfterwards, signInAsDemo } from './portal';

test.afterEach(runAfterwards);

/// The demo fills an empty ledger with a week of history once its clusters are listed:
/// reload until the chart is there.
async function waitForChart(page: Page) {
  // Up to 90 s on a cold, busy machine: more than the default limit of a test.
  test.slow();
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('cost-chart')).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 90_000 });
}

test('carol sees team-b costs with a chart, exports CSV, and cannot see team-a', async ({ page }) => {
  await signInAsDemo(page, 'carol', '/costs?project=team-b');
  await expect(page.getByRole('heading', { name: 'Costs', level: 1 })).toBeVisible();
  await waitForChart(page);
  const chart = page.getByTestId('cost-chart');
  // Stacked bars drawn by plotters: rectangles in the SVG, a legend of clusters.
  expect(await chart.locator('svg rect').count()).toBeGreaterThan(3);
  await expect(chart.locator('.legend')).toContainText('tokyo-prod');
  await expect(page.getByTestId('cost-total')).toContainText('USD');
  await expect(page.getByTestId('month-forecast')).toContainText('USD');
  await expect(page.getByTestId('top-workloads')).toContainText('batch');
  await expect(page.getByTestId('top-workloads')).not.toContainText('team-a');
  // Her projects only: team-a is not offered.
  const project = page.getByLabel('Project');
  await expect(project.locator('option')).toContainText(['All my projects', 'team-b']);
  await expect(project.locator('option', { hasText: 'team-a' })).toHaveCount(0);

  // Stacked by workload, after hydration.
  await hydrated(page, () => page.getByLabel('Stacked by').selectOption('workload'),
    () => expect(page.getByTestId('cost-chart').locator('.legend')).toContainText('team-b/batch'));

  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const csv = require('node:fs').readFileSync(await (await download).path(), 'utf8');
  expect(csv.split('\n')[0]).toBe('period_start,workload,cost_usd');
  expect(csv).toContain('team-b/batch');
  expect(csv).not.toContain('team-a/');

  // team-a's costs are not hers to see, however she asks.
  await page.goto(portalUrl('/costs?project=team-a'));
  await expect(page.getByText(/not found/i).first()).toBeVisible();
  const api = await page.request.get(portalUrl('/api/v1/costs?project=team-a'));
  expect(api.status()).toBe(404);
});

/// How many budget checks the portal has finished (`flotilla_background_passes_total`).
async function budgetChecks(page: any): Promise<number> {
  const text = await (await page.request.get(portalUrl('/metrics'))).text();
  return Number(/flotilla_background_passes_total\{loop="budget-check"\} (\d+)/.exec(text)?.[1] ?? 0);
}

test('a budget below what team-b spends alerts carol once, in a banner and the bell', async ({ page }) => {
  // Waits for the ledger's budget checks (every few seconds) twice.
  test.slow();
  // team-b has no budget in the demo: the 1 USD one goes afterwards.
  const admin = await apiAs('alice');
  const teamB = (await (await admin.get('/api/v1/projects')).json()).find((p: any) => p.name === 'team-b').id;
  afterwards(async () => {
    await restore(admin, 'delete', `/api/v1/projects/${teamB}/budget`);
    await admin.dispose();
  });
  await signInAsDemo(page, 'carol', '/costs?project=team-b');
  await waitForChart(page);
  const budget = page.getByRole('form', { name: 'Budget' });
  await hydrated(page, async () => {
    await budget.getByLabel('Per month').fill('not money');
    await budget.getByRole('button', { name: 'Save budget' }).click();
  }, () => expect(page.getByRole('alert').filter({ hasText: 'must be a number' })).toBeVisible());
  await budget.getByLabel('Per month').fill('1');
  await budget.getByRole('button', { name: 'Save budget' }).click();
  await expect(page.getByText('Budget saved.')).toBeVisible();
  // The ledger checks budgets every few seconds: both thresholds fire, on actual spend.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('budget-banner')).toHaveCount(2);
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId('budget-banner').first()).toContainText('team-b has spent');
  await expect(page.getByTestId('unread')).toHaveText('2');
  await hydrated(page, () => page.getByRole('button', { name: /Notifications/ }).click(),
    () => expect(page.getByRole('region', { name: 'Notifications' })).toContainText('budget'));
  // Still two alerts after two more budget checks (counted by /metrics, not waited for by the
  // clock): each threshold fires once a month.
  const checks = await budgetChecks(page);
  await expect.poll(() => budgetChecks(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(checks + 2);
  await page.reload();
  await expect(page.getByTestId('budget-banner')).toHaveCount(2);
});

test('an administrator sees idle cost per cluster, and the idle cluster is mostly idle', async ({ page }) => {
  await signInAsDemo(page, 'alice', '/costs');
  await waitForChart(page);
  await page.goto(portalUrl('/admin/costs'));
  const costs = page.getByRole('region', { name: 'Costs' });
  const osaka = costs.locator('tr[data-cluster="osaka-prod"]');
  await expect(osaka).toBeVisible();
  const idle = await osaka.getByTestId('idle').innerText();
  expect(Number(/\((\d+) %\)/.exec(idle)![1])).toBeGreaterThan(50);
  await expect(costs.getByTestId('project-cost-table')).toContainText('team-a');
  // The cluster page prices the cluster now.
  await osaka.getByRole('link', { name: 'osaka-prod' }).click();
  await expect(page.getByTestId('cluster-cost-summary')).toContainText('of which idle');
  await expect(page.getByTestId('namespace-costs')).toContainText('team-a');
});
