// Scheduling in the browser: bob gives a workload weekday-night windows in Tokyo with the
// window builder (the sentence previews as he types), saves, and finds it on the timeline.
import { test, expect } from '@playwright/test';
import { afterwards, apiAs, hydrated, portalUrl, restore, runAfterwards, signInAsDemo } from './portal';

test.afterEach(runAfterwards);

test('bob schedules a nightly job with the window builder and sees it on the timeline', async ({ page }) => {
  await signInAsDemo(page, 'bob', '/workloads');
  const origin = new URL(portalUrl('/')).origin;
  const projects = await (await page.request.get(portalUrl('/api/v1/projects'))).json();
  const teamA = projects.find((p: any) => p.name === 'team-a').id;
  const form = {
    project: 'team-a', name: 'nightly-e2e', image: 'example/report:1', command: '', args: '', env: [], ports: [],
    replicas: '1', cpu_request: '100m', cpu_limit: '', memory_request: '64Mi', memory_limit: '', gpu: '', placement: 'least_loaded',
  };
  const created = await page.request.post(portalUrl(`/api/v1/projects/${teamA}/workloads`), { data: form, headers: { Origin: origin } });
  expect(created.status()).toBe(201);
  const id = (await created.json()).Created.id;

  await page.goto(portalUrl(`/workloads/${id}`));
  const schedule = page.getByRole('form', { name: 'Schedule' });
  await hydrated(page, () => schedule.getByRole('button', { name: 'In recurring windows' }).click(),
    () => expect(schedule.getByLabel('Time zone')).toBeVisible());
  await schedule.getByLabel('From', { exact: true }).fill('01:00');
  await schedule.getByLabel('Until', { exact: true }).fill('05:00');
  await schedule.getByLabel('Time zone').fill('Asia/Atlantis');
  await expect(page.getByTestId('schedule-sentence')).toContainText('not a time zone name');
  await expect(schedule.getByRole('button', { name: 'Save schedule' })).toBeDisabled();
  await schedule.getByLabel('Time zone').fill('Asia/Tokyo');
  await expect(page.getByTestId('schedule-sentence')).toHaveText('runs every weekday 01:00–05:00 JST (Asia/Tokyo)');
  await schedule.getByLabel('Priority').selectOption('low');
  await schedule.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByTestId('schedule-state')).toContainText('Now:');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
  await expect(page.getByRole('heading', { name: 'Schedules', level: 1 })).toBeVisible();
  const row = page.locator('tr[data-workload="nightly-e2e"]').first();
  await expect(row).toContainText('runs every weekday 01:00–05:00 JST (Asia/Tokyo)');
  await expect(row).toContainText('low');
  // Five weekday nights (six if one is under way now) in the next 7 days.
  expect(await row.locator('rect.window').count()).toBeGreaterThanOrEqual(5);

  const removed = await page.request.delete(portalUrl(`/api/v1/projects/${teamA}/workloads/${id}`), { headers: { Origin: origin } });
  expect(removed.status()).toBeLessThan(300);
});

test('bob registers a weekend job with a schedule in the registration form; it waits for its window', async ({ page }) => {
  await signInAsDemo(page, 'bob', '/workloads/new');
  const form = page.locator('form.register__form');
  const sched = page.getByTestId('register-schedule');
  await hydrated(page, () => form.getByLabel('Name', { exact: true }).fill('weekend-e2e'),
    () => expect(form.getByLabel('Name', { exact: true })).toHaveValue('weekend-e2e'));
  await form.getByLabel('Image', { exact: true }).fill('example/cleanup:2');
  await form.getByLabel('CPU request').fill('100m');
  await expect(form.getByRole('button', { name: 'Register and deploy' })).toBeVisible();
  await sched.getByRole('button', { name: 'In recurring windows' }).click();
  await sched.getByRole('button', { name: 'Every day' }).click();
  for (const d of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) await sched.getByLabel(d, { exact: true }).uncheck();
  await sched.getByLabel('From', { exact: true }).fill('22:00');
  await sched.getByLabel('Until', { exact: true }).fill('02:00');
  await sched.getByLabel('Time zone').fill('Europe/Berlin');
  await sched.getByLabel('Keep it, scaled to zero').check();
  await sched.getByLabel('May be moved to a quieter cluster').check();
  await expect(sched.getByTestId('schedule-sentence')).toHaveText(/^runs every weekend 22:00–02:00 the next day CES?T \(Europe\/Berlin\); scaled to zero between windows; may be moved$/);
  await form.getByRole('button', { name: 'Register and schedule' }).click();
  await expect(page).toHaveURL(/\/workloads\/\d+$/);
  const section = page.getByTestId('schedule');
  await expect(section.getByTestId('schedule-sentence')).toContainText('runs every weekend 22:00–02:00', { timeout: 15_000 });
  await expect(section.getByLabel('Keep it, scaled to zero')).toBeChecked();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
  const row = page.locator('tr[data-workload="weekend-e2e"]').first();
  await expect(row).toContainText('runs every weekend 22:00–02:00');
  await expect(row.locator('rect.window').first()).toBeVisible();
  const id = Number(new URL(await row.getByRole('link').getAttribute('href') ?? '', portalUrl('/')).pathname.split('/').pop());
  const projects = await (await page.request.get(portalUrl('/api/v1/projects'))).json();
  const teamA = projects.find((p: any) => p.name === 'team-a').id;
  const origin = new URL(portalUrl('/')).origin;
  const removed = await page.request.delete(portalUrl(`/api/v1/projects/${teamA}/workloads/${id}`), { headers: { Origin: origin } });
  expect(removed.status()).toBeLessThan(300);
});

test('a workload waiting for its window says so in the list, and its page offers only what applies', async ({ page }) => {
  await signInAsDemo(page, 'bob', '/workloads');
  const origin = new URL(portalUrl('/')).origin;
  const projects = await (await page.request.get(portalUrl('/api/v1/projects'))).json();
  const teamA = projects.find((p: any) => p.name === 'team-a').id;
  // One window, two days from now: nothing is deployed until then.
  const start = Date.now() + 2 * 86_400_000;
  const data = {
    project: 'team-a', name: 'later-e2e', image: 'example/report:1', command: '', args: '', env: [], ports: [],
    replicas: '1', cpu_request: '100m', cpu_limit: '', memory_request: '64Mi', memory_limit: '', gpu: '', placement: 'least_loaded',
    schedule: { schedule: { kind: 'once', start_ms: start, end_ms: start + 3_600_000 } },
  };
  const created = await page.request.post(portalUrl(`/api/v1/projects/${teamA}/workloads`), { data, headers: { Origin: origin } });
  expect(created.status()).toBe(201);
  const id = (await created.json()).Created.id;
  const bob = await apiAs('bob');
  afterwards(() => restore(bob, 'delete', `/api/v1/projects/${teamA}/workloads/${id}`));
  await page.goto(portalUrl('/workloads'));
  await expect(page.locator('tr[data-workload="later-e2e"]').getByTestId('not-running')).toContainText('Not running now: waiting for its window');
  await page.locator('tr[data-workload="later-e2e"]').getByRole('link', { name: 'later-e2e' }).click();
  // Headed and titled by its name; nothing runs, so nothing to pause, move or roll back.
  await expect(page.getByRole('heading', { level: 1 })).toContainText('later-e2e');
  await expect(page).toHaveTitle(/^later-e2e/);
  await expect(page.getByRole('button', { name: 'Scale' })).toBeVisible();
  for (const name of ['Roll back', 'Pause', 'Move']) await expect(page.getByRole('button', { name, exact: true })).toHaveCount(0);
});

test('an administrator sets a cluster\'s thresholds; bob does not see them', async ({ page, browser }) => {
  // osaka-prod's thresholds (the demo's quick ones) come back afterwards.
  const admin = await apiAs('alice');
  const before = (await (await admin.get('/api/v1/schedules/thresholds')).json()).find((c: any) => c.cluster === 'osaka-prod');
  afterwards(async () => {
    if (before.custom) await restore(admin, 'put', `/api/v1/clusters/${before.cluster_id}/thresholds`, before.thresholds);
    else await restore(admin, 'delete', `/api/v1/clusters/${before.cluster_id}/thresholds`);
    await admin.dispose();
  });
  await signInAsDemo(page, 'alice', '/schedules');
  const table = page.getByTestId('thresholds');
  const osaka = table.locator('tr[data-cluster="osaka-prod"]');
  await expect(osaka).toBeVisible({ timeout: 15_000 });
  // The demo's own quick thresholds; back to the defaults, then a custom deploy threshold.
  await hydrated(page, () => osaka.getByRole('button', { name: 'Defaults' }).click(),
    () => expect(osaka).toContainText('(defaults)'));
  await osaka.getByLabel('osaka-prod evict above %').fill('55');
  await expect(osaka.getByRole('alert')).toContainText('at least 5 points below');
  await expect(osaka.getByRole('button', { name: 'Save' })).toBeDisabled();
  await osaka.getByLabel('osaka-prod evict above %').fill('90');
  await osaka.getByLabel('osaka-prod deploy below %').fill('50');
  await osaka.getByRole('button', { name: 'Save' }).click();
  await expect(osaka).not.toContainText('(defaults)');
  await expect(osaka.getByLabel('osaka-prod deploy below %')).toHaveValue('50');
  const api = await (await page.request.get(portalUrl('/api/v1/schedules/thresholds'))).json();
  expect(api.find((c: any) => c.cluster === 'osaka-prod').thresholds).toMatchObject({ deploy_below: 0.5, evict_above: 0.9 });
  await expect(osaka.getByRole('button', { name: 'Simulate a burst' })).toBeVisible();

  const bobPage = await (await browser.newContext()).newPage();
  await signInAsDemo(bobPage, 'bob', '/schedules');
  await expect(bobPage.getByRole('heading', { name: 'Automatic actions' })).toBeVisible();
  await expect(bobPage.getByTestId('thresholds')).toHaveCount(0);
  expect((await bobPage.request.get(portalUrl('/api/v1/schedules/thresholds'))).status()).toBe(403);
});

test('a developer on Schedules is not asked for the thresholds, and nothing answers with a server error', async ({ page }) => {
  const answers: string[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) answers.push(`${new URL(r.url()).pathname} ${r.status()}`);
  });
  await signInAsDemo(page, 'bob', '/schedules');
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  expect(answers.some((a) => a.includes('whoami')), `the page asked who bob is: ${answers}`).toBe(true);
  expect(answers.filter((a) => a.includes('load_cluster_thresholds')), 'bob is not asked for what he may not see').toEqual([]);
  expect(answers.filter((a) => / 5\d\d$/.test(a)), 'no server errors').toEqual([]);
  await expect(page.getByTestId('thresholds')).toHaveCount(0);
});
