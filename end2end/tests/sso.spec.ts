// Single sign-on against a real OpenID provider (end2end/oidc/provider.mjs, started by
// global-setup.ts): people sign in on the provider's own form, land back in Flotilla and
// see what the roles mapped from their groups allow. Tampered and replayed callbacks fail.
import { test, expect, Page, BrowserContext } from '@playwright/test';
import { hydrated, portalUrl, rewriteCallback, signInWithSso, strictUrl } from './portal';

async function hasSession(context: BrowserContext): Promise<boolean> {
  return (await context.cookies()).some((c) => c.name === 'flotilla_session');
}

async function openUserMenu(page: Page, name: RegExp) {
  const button = page.getByRole('button', { name });
  await hydrated(page, () => button.click(), () => expect(page.getByRole('menu', { name: 'User menu' })).toBeVisible());
}

test('alice (platform-admins) signs in through SSO and administers the portal', async ({ page }) => {
  await signInWithSso(page, 'alice', 'alice-pw', '/admin');
  await expect(page).toHaveURL(portalUrl('/admin'));
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Users' }).getByRole('cell', { name: 'alice@example.test', exact: true })).toBeVisible();
  await page.goto(portalUrl('/admin/access'));
  await expect(page.getByRole('region', { name: 'Group mappings' }).getByRole('cell', { name: 'team-b-owners', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Roles' })).toBeVisible();
  await openUserMenu(page, /Alice Admin/);
  await expect(page.getByRole('list', { name: 'Your roles' })).toContainText('Administrator');
});

test('bob (team-a-devs) sees team-a only and is refused the Admin page', async ({ page }) => {
  await signInWithSso(page, 'bob', 'bob-pw', '/workloads');
  await expect(page).toHaveURL(portalUrl('/workloads'));
  await expect(page.locator('#quota-table tr[data-project="team-a"]')).toBeVisible();
  await expect(page.locator('#quota-table tr[data-project="team-b"]')).toHaveCount(0);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  // Typing the address does not help: the server refuses the data.
  const res = await page.goto(portalUrl('/admin'));
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('alert').first()).toContainText('You do not have permission to read the Admin page');
  await expect(page.getByRole('cell', { name: 'alice@demo.flotilla.test', exact: true })).toHaveCount(0);
});

test('carol (team-b-owners) sees team-b and not team-a', async ({ page }) => {
  await signInWithSso(page, 'carol', 'carol-pw', '/workloads');
  await expect(page.locator('#quota-table tr[data-project="team-b"]')).toBeVisible();
  await expect(page.locator('#quota-table tr[data-project="team-a"]')).toHaveCount(0);
  await openUserMenu(page, /Carol Owner/);
  await expect(page.getByRole('list', { name: 'Your roles' })).toContainText('Project owner in team-b');
});

test('signing out ends the session in Flotilla and at the provider', async ({ page, context }) => {
  await signInWithSso(page, 'bob', 'bob-pw');
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  expect(await hasSession(context)).toBe(true);
  await openUserMenu(page, /Bob Builder/);
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  // The provider asks to confirm its own sign-out (RP-initiated logout), then sends us back.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1/);
  await expect(page.getByText('You are signed out.')).toBeVisible();
  expect(await hasSession(context)).toBe(false);
  await page.goto(portalUrl('/workloads'));
  await expect(page).toHaveURL(/\/login\?next=/);
  // Signing in again asks for the password again: the provider session is gone too.
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await expect(page.getByLabel('Password')).toBeVisible();
});

// Both worlds: the demo with the lenient provider, `flotilla serve` with the strict one.
for (const world of [{ name: 'lenient provider', at: portalUrl }, { name: 'strict provider', at: strictUrl }]) {
  test(`a callback with a tampered state shows an error page and creates no session (${world.name})`, async ({ page, context }) => {
    await rewriteCallback(page, (callback) => {
      callback.searchParams.set('state', callback.searchParams.get('state') + 'x');
      return callback;
    });
    await signInWithSso(page, 'bob', 'bob-pw', '/', world.at);
    await expect(page.getByRole('heading', { name: 'Sign-in link not valid' })).toBeVisible();
    expect(await hasSession(context)).toBe(false);
    await page.goto(world.at('/'));
    await expect(page).toHaveURL(/\/login\?next=/);
  });

  test(`a replayed callback shows an error page and creates no session (${world.name})`, async ({ page, context }) => {
    let callback = '';
    page.on('request', (r) => {
      if (r.url().includes('/auth/callback?')) callback = r.url();
    });
    await signInWithSso(page, 'carol', 'carol-pw', '/', world.at);
    await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
    expect(callback).toContain('code=');
    // Sign out in Flotilla only, then try the same callback again.
    await context.clearCookies({ name: 'flotilla_session' });
    await page.goto(world.at('/'));
    await expect(page).toHaveURL(/\/login\?next=/);
    const res = await page.goto(callback);
    expect(res?.status()).toBe(400);
    await expect(page.getByRole('heading', { name: 'Sign-in link not valid' })).toBeVisible();
    expect(await hasSession(context)).toBe(false);
  });
}

test('a signed-in person creates an API token, sees it once, and revokes it', async ({ page, request }) => {
  await signInWithSso(page, 'carol', 'carol-pw', '/account');
  await expect(page.getByRole('heading', { name: 'API tokens', level: 1 })).toBeVisible();
  await page.getByLabel('Name').fill('laptop script');
  await hydrated(page, () => page.getByRole('button', { name: 'Create token' }).click(), () => expect(page.getByLabel('Token secret')).toBeVisible());
  const secret = (await page.getByLabel('Token secret').textContent())!.trim();
  expect(secret).toMatch(/^flt_/);
  const me = await request.get(portalUrl('/api/v1/me'), { headers: { authorization: `Bearer ${secret}` } });
  expect((await me.json()).email).toBe('carol@example.test');
  await page.getByRole('button', { name: 'Revoke laptop script' }).click();
  await expect(page.getByText('revoked')).toBeVisible();
  const after = await request.get(portalUrl('/api/v1/me'), { headers: { authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);
  await page.reload();
  await expect(page.getByText(secret)).toHaveCount(0);
});
