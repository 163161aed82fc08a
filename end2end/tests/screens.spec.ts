// Every main page on a phone (390×844) and a laptop (1280×800), light and dark, as alice
// (administrator), bob (developer) and carol (project owner): the page fits the screen's
// width, every text it shows reads at 4.5:1 or better, and on a phone the whole top bar
// (every section, the bell, the theme and the user menu with Sign out) is reachable.
import { test, expect, Page } from '@playwright/test';
import { portalUrl, signInAsDemo } from './portal';
import { faintTexts, LAPTOP, overflow, PHONE } from './screens';

const PAGES: Record<string, string[]> = {
  alice: ['/', '/fleet', '/workloads', '/costs', '/schedules', '/admin', '/admin/projects', '/admin/clusters', '/admin/costs', '/admin/access', '/admin/audit', '/account'],
  bob: ['/', '/fleet', '/workloads', '/workloads/new', '/costs', '/schedules'],
  carol: ['/', '/workloads', '/costs?project=team-b'],
};

async function settled(page: Page) {
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1, { timeout: 30_000 });
  await expect(page.locator('.loading:visible')).toHaveCount(0, { timeout: 15_000 });
}

for (const [who, paths] of Object.entries(PAGES)) {
  for (const [screen, size] of [['phone', PHONE], ['laptop', LAPTOP]] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      test(`${who} on a ${screen} (${scheme}): every page fits and reads`, async ({ browser }) => {
        test.slow();
        const context = await browser.newContext({ viewport: size, colorScheme: scheme });
        const page = await context.newPage();
        await signInAsDemo(page, who);
        const problems: string[] = [];
        for (const path of paths) {
          await page.goto(portalUrl(path));
          await settled(page);
          const o = await overflow(page);
          if (o.by > 0) problems.push(`${path}: ${o.by} px wider than the screen (${o.culprit})`);
          for (const t of await faintTexts(page)) problems.push(`${path}: ${t}`);
        }
        expect(problems, problems.join('\n')).toEqual([]);
        await context.close();
      });
    }
  }
}

test('on a phone the top bar keeps every section, the bell, the theme and Sign out in reach', async ({ browser }) => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await signInAsDemo(page, 'alice');
  await settled(page);
  const inView = async (name: string | RegExp, role: 'link' | 'button') => {
    const el = page.getByRole('banner').getByRole(role, { name }).first();
    await el.scrollIntoViewIfNeeded();
    const box = await el.boundingBox();
    expect(box, `${name} is shown`).not.toBeNull();
    expect(box!.x >= 0 && box!.x + box!.width <= PHONE.width, `${name} lies within the screen: ${JSON.stringify(box)}`).toBe(true);
  };
  for (const name of ['Dashboard', 'Fleet', 'Workloads', 'Costs', 'Schedules', 'Admin']) await inView(name, 'link');
  await inView(/Notifications/, 'button');
  await inView(/theme/i, 'button');
  await page.getByRole('button', { name: /Alice Admin/ }).click();
  const menu = page.getByRole('menu');
  await expect(menu).toBeVisible();
  const box = (await menu.boundingBox())!;
  expect(box.x >= 0 && box.x + box.width <= PHONE.width, `the user menu fits: ${JSON.stringify(box)}`).toBe(true);
  await expect(menu.getByRole('menuitem', { name: 'Sign out' })).toBeInViewport();
  await context.close();
});

test('on a phone the dashboard shows every widget, one below the other', async ({ browser }) => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await signInAsDemo(page, 'carol');
  await settled(page);
  const boxes = await page.getByTestId('dashboard').locator('section.widget').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ top: r.top, bottom: r.bottom, left: r.left, right: r.right })));
  expect(boxes.length).toBeGreaterThan(1);
  for (let i = 1; i < boxes.length; i++) expect(boxes[i].top, `widget ${i + 1} starts below widget ${i}`).toBeGreaterThanOrEqual(boxes[i - 1].bottom);
  for (const b of boxes) expect(b.right).toBeLessThanOrEqual(PHONE.width);
  await context.close();
});
