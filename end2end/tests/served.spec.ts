// Outside the demo world: `flotilla serve` on a fresh database (no seed), a local administrator
// made by `flotilla admin create`, people from the strict OpenID provider (claims only from
// userinfo). The administrator registers two clusters from a kubeconfig, creates a project
// with carol as its owner and both clusters opened, gives it a quota and maps an SSO group to
// it; dave, put in that group at the provider, registers a container that becomes Available;
// carol adds bob by hand.
import { test, expect, Page } from '@playwright/test';
import { atProvider, hydrated, pasteKubeconfig, signInWithSso, strictUrl } from './portal';

async function registerCluster(page: Page, context: string): Promise<void> {
  const form = page.locator('form.cluster-form');
  await pasteKubeconfig(page, form);
  await form.getByLabel('Context').selectOption(context);
  await form.getByLabel('Name (DNS label)').fill(context);
  await form.getByLabel('Control-plane price per hour').fill('0.1');
  await form.getByRole('button', { name: 'Register cluster' }).click();
  await expect(page.locator('#cluster-admin-table')).toContainText(context);
}

async function signInWith(browserPage: Page, login: string, password: string, path: string): Promise<void> {
  // Run alone, this spec can start before the portal has read the provider's discovery
  // document (it tries again after a minute): wait until the login page offers SSO.
  await expect(async () => {
    await browserPage.goto(strictUrl('/login'));
    await expect(browserPage.getByRole('link', { name: 'Sign in with single sign-on' })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 90_000 });
  await signInWithSso(browserPage, login, password, path, strictUrl);
  await expect(browserPage).toHaveURL(strictUrl(path));
}

test.afterAll(async () => {
  await atProvider(process.env.OIDC_STRICT_ISSUER, 'dave', 'groups', []);
});

test('on flotilla serve without a seed: a project on two clusters, an SSO member deploys, the owner adds a member', async ({ browser }) => {
  test.setTimeout(240_000);
  // People sign in once before they can be made owners or added by hand.
  for (const [login, password] of [['carol', 'carol-pw'], ['bob', 'bob-pw']]) {
    const p = await browser.newPage();
    await signInWith(p, login, password, '/');
    await p.close();
  }

  // The local administrator: the password form, no SSO.
  const page = await browser.newPage();
  await page.goto(strictUrl('/login?next=/admin'));
  await page.getByLabel('E-mail').fill('alice@demo.flotilla.test');
  await page.getByLabel('Password').fill(process.env.FLOTILLA_STRICT_ADMIN_PASSWORD ?? '');
  await page.getByRole('button', { name: 'Sign in with password' }).click();
  await expect(page).toHaveURL(strictUrl('/admin'));
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Clusters' }).click();
  await expect(page).toHaveURL(strictUrl('/admin/clusters'));
  await registerCluster(page, 'tokyo-prod');
  await registerCluster(page, 'osaka-prod');

  // A project with carol as its owner and both clusters opened.
  await page.goto(strictUrl('/admin/projects'));
  const form = page.getByRole('form', { name: 'New project' });
  await form.getByLabel('Name (its namespace)').fill('shop');
  await form.getByLabel('Display name').fill('Shop');
  await form.getByLabel("Owner's e-mail").fill('carol@example.test');
  await form.getByRole('checkbox', { name: 'tokyo-prod', exact: true }).check();
  await form.getByRole('checkbox', { name: 'osaka-prod', exact: true }).check();
  await form.getByRole('button', { name: 'Create project' }).click();
  await expect(form.getByRole('status')).toContainText('Created shop.');
  const projectHref = await form.getByRole('link', { name: 'Open it' }).getAttribute('href');
  await page.goto(strictUrl('/admin/access'));
  const mappings = page.locator('section[aria-labelledby="groups-h"]');
  await mappings.getByLabel('Group').fill('shop-devs');
  await mappings.getByLabel('Role').fill('developer');
  await mappings.getByLabel('Project (empty = portal-wide)').fill('shop');
  await mappings.getByRole('button', { name: 'Add mapping' }).click();
  await expect(mappings.locator('tr', { hasText: 'shop-devs' })).toBeVisible();
  await page.goto(strictUrl(projectHref!));
  await expect(page).toHaveURL(/\/projects\/\d+$/);
  const projectPath = new URL(page.url()).pathname;
  await expect(page.locator('.facts')).toContainText('osaka-prod, tokyo-prod');

  // Its quota on each cluster, set by the administrator on the workloads page.
  await page.goto(strictUrl('/workloads'));
  const row = page.locator('#quota-table tr[data-project="shop"]');
  await hydrated(
    page,
    async () => row.getByLabel('shop CPU quota').fill('4'),
    async () => expect(row.getByLabel('shop CPU quota')).toHaveValue('4'),
  );
  await row.getByLabel('shop memory quota').fill('8Gi');
  await row.getByLabel('shop pod quota').fill('20');
  await row.getByRole('button', { name: 'Save' }).click();
  await page.goto(strictUrl(projectPath));
  await expect(page.locator('.facts')).toContainText('4 CPU, 8Gi memory, 20 pods');
  await expect(page.getByTestId('project-spend')).toContainText('USD so far in');
  await page.close();

  // dave is put in shop-devs at the provider and registers a container: the preview offers
  // exactly the two opened clusters, and it becomes Available.
  await atProvider(process.env.OIDC_STRICT_ISSUER, 'dave', 'groups', ['shop-devs']);
  const dave = await browser.newPage();
  await signInWith(dave, 'dave', 'dave-pw', '/workloads/new');
  const reg = dave.locator('form.register__form');
  const preview = dave.getByTestId('placement-preview');
  await hydrated(
    dave,
    async () => {
      await reg.getByLabel('Project').selectOption('shop');
      await reg.getByLabel('Name', { exact: true }).fill('shop-web');
      await reg.getByLabel('Image', { exact: true }).fill('nginx:1.27');
    },
    async () => expect(preview.locator('tr[data-candidate]')).toHaveCount(2),
  );
  await reg.getByRole('button', { name: 'Register and deploy' }).click();
  await expect(dave).toHaveURL(/\/workloads\/\d+$/, { timeout: 10_000 });
  await expect(dave.getByTestId('overall')).toHaveText('Available', { timeout: 30_000 });
  await dave.close();

  // carol, its owner, adds bob by hand.
  const carol = await browser.newPage();
  await signInWith(carol, 'carol', 'carol-pw', projectPath);
  const add = carol.getByRole('form', { name: 'Add a member' });
  await hydrated(
    carol,
    async () => add.getByLabel('E-mail').fill('bob@example.test'),
    async () => expect(add.getByLabel('E-mail')).toHaveValue('bob@example.test'),
  );
  await add.getByRole('button', { name: 'Add member' }).click();
  await expect(carol.locator('tr', { hasText: 'bob@example.test' })).toContainText('added by hand');
  await expect(carol.locator('tr', { hasText: 'dave@example.test' })).toContainText('developer');
  await carol.close();
});
