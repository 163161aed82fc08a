// Self-service workloads: bob (developer in team-a) registers nginx:1.27 with 2 replicas on
// automatic placement, sees the preview choose a cluster, waits for Available, scales to 3 and
// deletes it; an invalid image and "abc" as CPU show field errors and deploy nothing.
import { test, expect, Page } from '@playwright/test';
import { portalUrl, signInAsDemo, hydrated } from './portal';

async function openForm(page: Page) {
  await signInAsDemo(page, 'bob', '/workloads/new');
  const form = page.locator('form.register__form');
  const preview = page.getByTestId('placement-preview');
  // The preview appears once the WASM has hydrated and read the clusters' capacity.
  await hydrated(
    page,
    async () => {
      await form.getByLabel('Name', { exact: true }).fill('web-e2e');
      await form.getByLabel('Image', { exact: true }).fill('nginx:1.27');
    },
    async () => expect(preview).toBeVisible(),
  );
  return { form, preview };
}

test('bob registers a container on automatic placement, scales it and deletes it', async ({ page }) => {
  // Waits for rollouts on the simulated fleet (up to 30 s each).
  test.slow();
  const { form, preview } = await openForm(page);
  await form.getByLabel('Replicas', { exact: true }).fill('2');
  await form.getByLabel('CPU request').fill('250m');
  await expect(form.locator('.hint').filter({ hasText: '250m = a quarter of a core' })).toBeVisible();
  // Least-loaded is the default: the preview names one chosen cluster and why.
  const summary = page.getByTestId('placement-summary');
  await expect(summary).toContainText('least loaded');
  const chosen = preview.locator('tr.chosen');
  await expect(chosen).toHaveCount(1);
  const cluster = (await chosen.getAttribute('data-candidate'))!;
  expect(cluster).not.toBe('tokyo-prod'); // the hot cluster is never the least loaded
  // Every priced candidate shows what the replicas would cost a month.
  await expect(chosen.getByTestId('monthly-cost')).toContainText('USD');
  // "Cheapest cluster that fits" picks the lowest estimate among the clusters that fit.
  await form.getByRole('button', { name: 'Cheapest cluster that fits' }).click();
  await expect(summary).toContainText('the cheapest cluster that fits');
  const costOf = async (row: ReturnType<Page['locator']>) => Number(/([\d.,]+) USD/.exec(await row.getByTestId('monthly-cost').innerText())![1].replace(/,/g, ''));
  const cheapest = await costOf(preview.locator('tr.chosen'));
  for (const row of await preview.locator('tr[data-candidate]').filter({ has: page.locator('.badge--ok') }).all()) {
    expect(cheapest).toBeLessThanOrEqual(await costOf(row));
  }
  await form.getByRole('button', { name: 'Least-loaded cluster that fits' }).click();
  await expect(summary).toContainText('least loaded');
  await form.getByRole('button', { name: 'Register and deploy' }).click();

  // The workload page: Available on the chosen cluster.
  await expect(page).toHaveURL(/\/workloads\/\d+$/, { timeout: 10_000 });
  await expect(page.getByTestId('overall')).toHaveText('Available', { timeout: 30_000 });
  await expect(page.locator(`.rollouts [data-cluster="${cluster}"]`)).toContainText('2/2');
  await expect(page.locator('#pods-table tbody tr')).toHaveCount(2, { timeout: 15_000 });

  // Scale to 3.
  await page.getByLabel('Replicas').fill('3');
  await page.getByRole('button', { name: 'Scale' }).click();
  await expect(page.getByTestId('replicas')).toHaveText('3');
  await expect(page.locator(`.rollouts [data-cluster="${cluster}"]`)).toContainText('Available 3/3', { timeout: 30_000 });
  await expect(page.locator('#pods-table tbody tr')).toHaveCount(3, { timeout: 15_000 });

  // A pod's log.
  await page.locator('#pods-table tbody tr').first().getByRole('button', { name: 'Show log' }).click();
  await expect(page.getByTestId('pod-log')).not.toHaveText('Reading the log…', { timeout: 10_000 });

  // The list shows it; then delete it everywhere.
  await page.goto(portalUrl('/workloads'));
  await expect(page.locator('tr[data-workload="web-e2e"]')).toBeVisible();
  await page.locator('tr[data-workload="web-e2e"] a').click();
  await hydrated(
    page,
    async () => page.getByRole('button', { name: 'Delete…' }).click(),
    async () => expect(page.getByRole('button', { name: 'Delete from every cluster' })).toBeVisible(),
  );
  await page.getByRole('button', { name: 'Delete from every cluster' }).click();
  await expect(page).toHaveURL(portalUrl('/workloads'), { timeout: 10_000 });
  await expect(page.locator('tr[data-workload="web-e2e"]')).toHaveCount(0, { timeout: 30_000 });
});

test('an invalid image and "abc" as CPU show field errors and deploy nothing', async ({ page }) => {
  const { form } = await openForm(page);
  await form.getByLabel('Name', { exact: true }).fill('bad-e2e');
  await form.getByLabel('Image', { exact: true }).fill('NGINX::latest');
  await form.getByLabel('CPU request').fill('abc');
  await form.getByRole('button', { name: 'Register and deploy' }).click();
  await expect(form.locator('.field-error[data-field="image"]')).toBeVisible();
  await expect(form.locator('.field-error[data-field="cpu_request"]')).toBeVisible();
  await expect(form.getByRole('alert').filter({ hasText: 'nothing was deployed' })).toBeVisible();
  await expect(page).toHaveURL(portalUrl('/workloads/new'));
  // Typed text is kept.
  await expect(form.locator('input[name="image"]')).toHaveValue('NGINX::latest');
  // And the server agrees: nothing was registered.
  const projects = await (await page.request.get(portalUrl('/api/v1/projects'))).json();
  const teamA = projects.find((p: any) => p.name === 'team-a');
  const listed = await page.request.get(portalUrl(`/api/v1/projects/${teamA.id}/workloads`));
  expect(listed.ok()).toBeTruthy();
  const names = (await listed.json()).map((w: any) => w.name);
  expect(names).not.toContain('bad-e2e');
});
