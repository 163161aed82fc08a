// Admin's sections are tabs with their own addresses; times read in the person's zone (the
// browser's until they choose one on the Account page, remembered); money has one format.
import { test, expect } from '@playwright/test';
import { hydrated, portalUrl, signInAsDemo } from './portal';

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} /;

test('Admin is split into tabs, each with its own address and title', async ({ page }) => {
  await signInAsDemo(page, 'alice', '/admin');
  const tabs = page.getByRole('navigation', { name: 'Admin sections' });
  await expect(tabs.getByRole('link', { name: 'People' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('region', { name: 'Users' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Prices' })).toHaveCount(0);
  await hydrated(page, () => tabs.getByRole('link', { name: 'Roles and groups' }).click(),
    () => expect(page).toHaveURL(portalUrl('/admin/access')));
  await expect(page).toHaveTitle('Roles and groups · Admin · Flotilla');
  await expect(tabs.getByRole('link', { name: 'Roles and groups' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('region', { name: 'Roles' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Users' })).toHaveCount(0);
  // Costs: the cluster table shows its last column whole.
  await tabs.getByRole('link', { name: 'Costs and prices' }).click();
  const table = page.getByTestId('cluster-cost-table');
  await expect(table).toBeVisible();
  const wrap = await table.locator('xpath=..').boundingBox();
  const last = await table.getByRole('columnheader', { name: 'Hours observed' }).boundingBox();
  expect(last!.x + last!.width).toBeLessThanOrEqual(wrap!.x + wrap!.width + 1);
  // Money: two decimals, thousands grouped, the same on every page.
  for (const cell of await table.locator('tbody td.num').filter({ hasText: 'USD' }).allInnerTexts()) {
    expect(cell).toMatch(/^-?\d{1,3}(,\d{3})*\.\d{2} USD|^< 0\.01 USD/);
  }
  // An address that names no section says so.
  await page.goto(portalUrl('/admin/nope'));
  await expect(page.getByRole('alert')).toContainText('There is no Admin section called “nope”');
});

test.describe('in New York', () => {
  test.use({ timezoneId: 'America/New_York' });

  test('times follow the browser, then the zone chosen on the Account page, also when served', async ({ page }) => {
    await signInAsDemo(page, 'alice', '/admin/audit');
    const firstTime = page.getByRole('region', { name: 'Audit log' }).locator('tbody tr').first().locator('td').first();
    // The first visit is written in UTC; once live, the page switches to the browser's zone.
    await expect(firstTime).toHaveText(new RegExp(TIME.source + 'E[SD]T$'));
    await page.goto(portalUrl('/account'));
    await hydrated(page, () => page.getByLabel('Show times in').selectOption('Asia/Tokyo'),
      () => expect(page.getByRole('status').filter({ hasText: 'Saved' })).toContainText(/times now read like .* JST/));
    // Remembered: the server writes the audit log in Tokyo time before any script runs.
    const served = await page.request.get(portalUrl('/admin/audit'));
    expect(await served.text()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} JST/);
    await page.goto(portalUrl('/admin/audit'));
    await expect(firstTime).toHaveText(new RegExp(TIME.source + 'JST$'));
  });
});

test('costs: dates are typed and read as ISO dates, and "All my projects" shows every budget', async ({ page }) => {
  await signInAsDemo(page, 'carol', '/costs');
  const budgets = page.getByTestId('project-budgets');
  await expect(budgets.locator('li[data-project="team-b"]')).toContainText(/spent in \d{4}-\d{2}/);
  const from = page.getByLabel('From');
  await expect(from).toHaveAttribute('placeholder', 'YYYY-MM-DD');
  await hydrated(page, () => from.fill('12/01/2026'), () => expect(from).toHaveValue('12/01/2026'));
  await from.press('Tab');
  await expect(page.getByRole('alert').filter({ hasText: 'must look like' })).toContainText('The start date must look like 2026-11-24');
  // One project chosen: its own budget form, no list of every project.
  await page.goto(portalUrl('/costs?project=team-b'));
  await expect(page.getByRole('heading', { name: /Monthly budget of/ })).toBeVisible();
  await expect(budgets).toHaveCount(0);
});
