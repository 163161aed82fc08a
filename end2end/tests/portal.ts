// Where the portal started by global-setup.ts listens, and how tests sign in.
import { APIRequestContext, expect, Locator, Page, request } from '@playwright/test';
import { readFileSync } from 'node:fs';

export function portalUrl(path = '/'): string {
  const base = process.env.FLOTILLA_URL;
  if (!base) throw new Error('FLOTILLA_URL is not set: global-setup.ts did not start the portal');
  return new URL(path, base).toString();
}

/// The `flotilla serve` portal (fresh database, local administrator) wired to the strict
/// provider (claims only from userinfo, groups in `realm_access.roles`, no refresh tokens).
export function strictUrl(path = '/'): string {
  const base = process.env.FLOTILLA_STRICT_URL;
  if (!base) throw new Error('FLOTILLA_STRICT_URL is not set: global-setup.ts did not start the served portal');
  return new URL(path, base).toString();
}

/// Changes a user at a test provider as its administrator would (end2end/oidc/README.md).
export async function atProvider(issuer: string | undefined, login: string, action: 'groups' | 'end-sessions', groups: string[] = []): Promise<void> {
  if (!issuer) throw new Error('the provider issuer is not set: global-setup.ts did not start it');
  const res = await fetch(`${issuer}/_test/users/${login}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: action === 'groups' ? JSON.stringify({ groups }) : '{}',
  });
  if (res.status !== 204) throw new Error(`provider ${action} for ${login}: ${res.status}`);
}

/// One click on a demo account on the login page (demo mode only).
export async function signInAsDemo(page: Page, login: string, path = '/'): Promise<void> {
  await page.goto(portalUrl(`/login?next=${encodeURIComponent(path)}`));
  await page.getByRole('button', { name: `Continue as ${login}` }).click();
  await expect(page).toHaveURL(portalUrl(path));
}

/// An API client signed in as a demo account: specs restore through it what they changed, so
/// the next spec finds the demo as it was.
export async function apiAs(login: string): Promise<APIRequestContext> {
  const origin = new URL(portalUrl('/')).origin;
  const api = await request.newContext({ baseURL: origin, extraHTTPHeaders: { origin } });
  const res = await api.post('/auth/demo', { form: { login, next: '/' }, maxRedirects: 0 });
  if (res.status() !== 303) throw new Error(`demo sign-in as ${login}: ${res.status()}`);
  return api;
}

/// Sends a restoring request and fails loudly when the portal refuses it.
export async function restore(api: APIRequestContext, method: 'put' | 'delete', path: string, data?: unknown): Promise<void> {
  const res = await api[method](path, data === undefined ? {} : { data });
  if (!res.ok()) throw new Error(`restoring ${method.toUpperCase()} ${path}: ${res.status()} ${await res.text()}`);
}

const cleanups: Array<() => Promise<void>> = [];

/// Registers what puts back the state a test changed; `runAfterwards` (a spec's `afterEach`)
/// runs it whether the test passed or failed.
export function afterwards(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

export async function runAfterwards(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!();
}

/// Signs in through the OpenID provider's own login form.
export async function signInWithSso(page: Page, user: string, password: string, path = '/', at: (path?: string) => string = portalUrl): Promise<void> {
  await page.goto(at(path));
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/// Clicks only work once the WASM has hydrated the page: the browser entry point marks the body
/// when it has (a loaded CI machine can take a while). Waits for that mark, then acts once (an
/// action is never repeated: a second click would undo a toggle or create a second token) and
/// waits for its effect.
export async function hydrated(page: Page, action: () => Promise<unknown>, check: () => Promise<unknown>): Promise<void> {
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
  await action();
  await check();
}

/// Lets the provider's login form post, follows the provider's redirects itself (route
/// handlers do not see redirects) and hands the browser `change(callbackUrl)` instead of
/// the callback the provider chose.
export async function rewriteCallback(page: Page, change: (callback: URL) => URL): Promise<void> {
  await page.route('**/interaction/**', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    let response = await route.fetch({ maxRedirects: 0 });
    let location = new URL(response.headers()['location'], route.request().url());
    while (!location.pathname.startsWith('/auth/callback')) {
      response = await page.request.get(location.toString(), { maxRedirects: 0 });
      location = new URL(response.headers()['location'], location);
    }
    await route.fulfill({ status: 303, headers: { location: change(location).toString() } });
  });
}

/// The kubeconfig of the demo's simulated fleet (four contexts), as an administrator would
/// export it.
export function kubeconfigText(): string {
  const dir = process.env.FLOTILLA_E2E_DATA;
  if (!dir) throw new Error('FLOTILLA_E2E_DATA is not set by global-setup.ts');
  return readFileSync(`${dir}/data/demo-fleet.kubeconfig`, 'utf8');
}

/// Pastes the demo fleet's kubeconfig into Admin's cluster form once the page is hydrated, and
/// waits for its four contexts to be offered.
export async function pasteKubeconfig(page: Page, form: Locator): Promise<void> {
  await hydrated(
    page,
    async () => {
      await form.getByLabel('…or paste it').fill(kubeconfigText());
      await form.getByLabel('…or paste it').blur();
    },
    async () => expect(form.getByLabel('Context').locator('option')).toHaveCount(4, { timeout: 3_000 }),
  );
}
