// Projects are the tenancy boundary. alice (administrator) creates team-d in Admin with carol
// as its owner and two clusters opened to it, and maps an SSO group to it; carol (owner) adds
// bob by hand on the project page; bob registers a container there, and the preview offers
// only the two opened clusters. A name that is taken is refused in words and keeps the form.
import { test, expect } from '@playwright/test';
import { afterwards, apiAs, portalUrl, restore, runAfterwards, signInAsDemo, hydrated } from './portal';

test.afterEach(runAfterwards);

test('an administrator creates a project, its owner adds a member, the member deploys into it', async ({ page, browser }) => {
  // Waits for rollouts on the simulated fleet (up to 30 s each).
  test.slow();
  // team-d, its workloads and its group mapping go again afterwards.
  afterwards(async () => {
    const admin = await apiAs('alice');
    const mapping = (await (await admin.get('/api/v1/group-mappings')).json()).find((m: any) => m.group === 'team-d-devs');
    if (mapping) await restore(admin, 'delete', `/api/v1/group-mappings/${mapping.id}`);
    const project = (await (await admin.get('/api/v1/projects')).json()).find((p: any) => p.name === 'team-d');
    if (project) await restore(admin, 'delete', `/api/v1/projects/${project.id}?workloads=remove`);
    await admin.dispose();
  });
  await signInAsDemo(page, 'alice', '/admin/projects');
  const form = page.getByRole('form', { name: 'New project' });
  await hydrated(
    page,
    async () => form.getByLabel('Name (its namespace)').fill('team-d'),
    async () => expect(form.getByRole('checkbox', { name: 'tokyo-prod', exact: true })).toBeVisible(),
  );
  // A taken name is refused in words; what was typed stays.
  await form.getByLabel('Name (its namespace)').fill('team-a');
  await form.getByLabel('Display name').fill('Team D — payments');
  await form.getByRole('button', { name: 'Create project' }).click();
  await expect(form.getByRole('alert')).toContainText('A project named team-a already exists');
  await expect(form.getByLabel('Display name')).toHaveValue('Team D — payments');

  await form.getByLabel('Name (its namespace)').fill('team-d');
  await form.getByLabel("Owner's e-mail").fill('carol@demo.flotilla.test');
  await form.getByRole('checkbox', { name: 'osaka-prod', exact: true }).check();
  await form.getByRole('checkbox', { name: 'onprem-dev', exact: true }).check();
  await form.getByRole('button', { name: 'Create project' }).click();
  await expect(form.getByRole('status')).toContainText('Created team-d.');

  const projectPath = await form.getByRole('link', { name: 'Open it' }).getAttribute('href');

  // An SSO group grants developer rights in it (Admin → Roles and groups).
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Roles and groups' }).click();
  const mappings = page.locator('section[aria-labelledby="groups-h"]');
  await mappings.getByLabel('Group').fill('team-d-devs');
  await mappings.getByLabel('Role').fill('developer');
  await mappings.getByLabel('Project (empty = portal-wide)').fill('team-d');
  await mappings.getByRole('button', { name: 'Add mapping' }).click();
  await expect(mappings.locator('tr', { hasText: 'team-d-devs' })).toBeVisible();

  // The project page says where it may run.
  await page.goto(portalUrl(projectPath!));
  await expect(page).toHaveURL(/\/projects\/\d+$/);
  const projectUrl = page.url();
  await expect(page.locator('.facts')).toContainText('onprem-dev, osaka-prod');
  await expect(page.locator('.facts')).toContainText('team-d');

  // carol, its owner, adds bob by hand.
  const carol = await browser.newPage();
  await signInAsDemo(carol, 'carol', new URL(projectUrl).pathname);
  const add = carol.getByRole('form', { name: 'Add a member' });
  await hydrated(
    carol,
    async () => add.getByLabel('E-mail').fill('bob@demo.flotilla.test'),
    async () => expect(add.getByLabel('E-mail')).toHaveValue('bob@demo.flotilla.test'),
  );
  await add.getByRole('button', { name: 'Add member' }).click();
  await expect(carol.locator('tr', { hasText: 'bob@demo.flotilla.test' })).toContainText('added by hand');
  await carol.close();

  // bob registers a container in team-d: the preview offers only the opened clusters.
  const bob = await browser.newPage();
  await signInAsDemo(bob, 'bob', '/workloads/new');
  const reg = bob.locator('form.register__form');
  const preview = bob.getByTestId('placement-preview');
  await hydrated(
    bob,
    async () => {
      await reg.getByLabel('Project').selectOption('team-d');
      await reg.getByLabel('Name', { exact: true }).fill('pay-e2e');
      await reg.getByLabel('Image', { exact: true }).fill('nginx:1.27');
    },
    async () => expect(preview.locator('tr[data-candidate]')).toHaveCount(2),
  );
  await expect(preview.locator('tr[data-candidate="tokyo-prod"]')).toHaveCount(0);
  await reg.getByRole('button', { name: 'Register and deploy' }).click();
  await expect(bob).toHaveURL(/\/workloads\/\d+$/, { timeout: 10_000 });
  await expect(bob.getByTestId('overall')).toHaveText('Available', { timeout: 30_000 });
  await bob.close();

  // Deleting a project that still runs work asks what to do with it.
  await page.goto(projectUrl);
  await hydrated(
    page,
    async () => page.getByRole('button', { name: 'Delete project…' }).click(),
    async () => expect(page.getByRole('alertdialog', { name: 'Delete the project' })).toContainText('It still has 1 workload(s)'),
  );
  await page.getByRole('button', { name: 'Keep it' }).click();
  await expect(page.getByRole('alertdialog')).toHaveCount(0);
});
