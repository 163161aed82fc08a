// Scheduling in the browser: bob gives a workload weekday-night windows in Tokyo with the
// window builder (the sentence previews as he types), saves, and finds it on the timeline.
import { test, expect } from '@playwright/test';
import { hydrated, portalUrl, signInAsDemo } from './portal';

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
    () => expect(schedule.getByLabel('Time zone')).toBeVisible({ timeout: 1000 }));
  await schedule.getByLabel('From').fill('01:00');
  await schedule.getByLabel('Until').fill('05:00');
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
  const row = page.locator('tr[data-workload="nightly-e2e"]');
  await expect(row).toContainText('runs every weekday 01:00–05:00 JST (Asia/Tokyo)');
  await expect(row).toContainText('low');
  // Five weekday nights (six if one is under way now) in the next 7 days.
  expect(await row.locator('rect.window').count()).toBeGreaterThanOrEqual(5);

  const removed = await page.request.delete(portalUrl(`/api/v1/projects/${teamA}/workloads/${id}`), { headers: { Origin: origin } });
  expect(removed.status()).toBeLessThan(300);
});
