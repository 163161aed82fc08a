// Administrators manage access in the browser: a custom role from the permission matrix,
// a group mapping, and the audit log that records both.
import { test, expect } from '@playwright/test';
import { afterwards, apiAs, hydrated, restore, runAfterwards, signInAsDemo } from './portal';

test.afterEach(runAfterwards);

test('an administrator creates a custom role in the matrix and maps a group to it', async ({ page }) => {
  await signInAsDemo(page, 'alice', '/admin/access');
  const roles = page.getByRole('region', { name: 'Roles' });
  // Built-in roles are shown read-only.
  await hydrated(page, () => roles.getByRole('button', { name: 'Viewer' }).click(),
    () => expect(roles.getByRole('table')).toContainText('Viewer — built-in, read-only'));
  await expect(roles.getByLabel('read projects')).toBeDisabled();

  await roles.getByLabel('New role key').fill('auditor');
  await roles.getByLabel('Name', { exact: true }).fill('Auditor');
  await roles.getByRole('button', { name: 'Start a custom role' }).click();
  await expect(roles.getByRole('table')).toContainText('custom role "auditor"');
  await roles.getByLabel('read the audit log').selectOption('all');
  await roles.getByLabel('read clusters').selectOption('project');
  await roles.getByRole('button', { name: 'Save role' }).click();
  await expect(roles.getByRole('button', { name: 'Auditor (custom)' })).toBeVisible();
  // A key that shadows a built-in role is refused with a sentence.
  await roles.getByLabel('New role key').fill('developer');
  await roles.getByLabel('Name', { exact: true }).fill('Mine');
  await roles.getByRole('button', { name: 'Start a custom role' }).click();
  await roles.getByRole('button', { name: 'Save role' }).click();
  await expect(roles.getByRole('alert')).toContainText('built-in role');

  const groups = page.getByRole('region', { name: 'Group mappings' });
  await groups.getByLabel('Group').fill('security-team');
  await groups.getByLabel('Role').fill('auditor');
  await groups.getByRole('button', { name: 'Add mapping' }).click();
  await expect(groups.getByRole('row', { name: /security-team/ })).toContainText('portal-wide');
  await groups.getByLabel('Group').fill('x');
  await groups.getByLabel('Role').fill('no-such-role');
  await groups.getByRole('button', { name: 'Add mapping' }).click();
  await expect(groups.getByRole('alert')).toContainText('No role with key no-such-role');

  // Both changes are in the audit log (its own tab), filterable, and exportable.
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);
  const audit = page.getByRole('region', { name: 'Audit log' });
  await hydrated(page, () => audit.getByLabel('Action').fill('role.save'),
    () => expect(audit.getByRole('row', { name: /group-mapping/ })).toHaveCount(0));
  await expect(audit.getByRole('row', { name: /role\.save/ })).toContainText('auditor');
  const download = page.waitForEvent('download');
  await audit.getByRole('link', { name: 'Export CSV' }).click();
  const file = await (await download).path();
  const csv = require('node:fs').readFileSync(file, 'utf8');
  expect(csv).toContain('role.save');
  expect(csv).not.toContain('group-mapping.add');
});

test('an administrator changes a price in the catalogue and it is kept', async ({ page }) => {
  // The demo's price of m5.xlarge comes back afterwards (other specs price with it).
  const admin = await apiAs('alice');
  const before = (await (await admin.get('/api/v1/prices')).json()).filter((p: any) => p.instance_type === 'm5.xlarge');
  afterwards(async () => {
    for (const p of before) await restore(admin, 'put', '/api/v1/prices', p);
    await admin.dispose();
  });
  await signInAsDemo(page, 'alice', '/admin/costs');
  const prices = page.getByRole('region', { name: 'Prices' });
  const row = prices.locator('tr[data-price="m5.xlarge"]');
  await expect(row).toBeVisible();
  await hydrated(
    page,
    async () => {
      await prices.getByRole('searchbox').fill('m5.x');
    },
    async () => expect(prices.locator('tr[data-price="c5.xlarge"]')).toBeHidden(),
  );
  await row.getByLabel('Price of m5.xlarge').fill('0.175');
  const saved = page.waitForResponse((r) => r.url().includes('/api/save_price') && r.status() === 200);
  await row.getByRole('button', { name: 'Save' }).click();
  await saved;
  await page.reload();
  await expect(page.getByRole('region', { name: 'Prices' }).locator('tr[data-price="m5.xlarge"] input')).toHaveValue('0.175');
});
