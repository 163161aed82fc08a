// Takes screenshots of the running demo portal for the README and for reviewing the UI:
//   node screenshots.mjs http://127.0.0.1:3000 ../docs
// Each shot signs in as a demo account first (one click on the login page), or not at all.
import { chromium } from '@playwright/test';

// An optional third argument shoots only the files whose name contains it (`screens`: every
// main page at both sizes in both themes, see below).
const [base = 'http://127.0.0.1:3000', out = '.', only = ''] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// Zooms into the first cluster and opens its first node's pods.
async function zoomIn(page) {
  await page.locator('.fleet-tile__name').first().click();
  await page.locator('.fleet-tile--zoomed g.node').nth(2).click();
  await page.locator('aside.fleet-pods tr[data-pod]').first().waitFor();
}
// Fills the registration form so the live preview shows its choice.
async function fillRegistration(page) {
  const form = page.locator('form.register__form');
  await form.locator('input[name="name"]').waitFor();
  // The preview appears once the page is live (it needs no name): then the typing is kept.
  await page.getByTestId('placement-preview').waitFor({ timeout: 30_000 });
  await form.locator('input[name="name"]').fill('storefront');
  await form.locator('input[name="image"]').fill('nginx:1.27');
  await form.locator('input[name="replicas"]').fill('3');
  await form.locator('input[name="cpu_request"]').fill('500m');
}
// Registers it and waits until it is available on its cluster.
async function registerAndWait(page) {
  await fillRegistration(page);
  await page.getByRole('button', { name: 'Register and deploy' }).click();
  await page.getByTestId('overall').filter({ hasText: 'Available' }).waitFor({ timeout: 60_000 });
  await page.locator('#pods-table tbody tr').first().getByRole('button', { name: 'Show log' }).click();
  await page.waitForTimeout(1500);
}
// The demo fills the cost history right after start: reload until the chart is there.
async function waitForChart(page) {
  for (let i = 0; i < 60 && !(await page.getByTestId('cost-chart').isVisible()); i++) {
    await page.waitForTimeout(1000);
    await page.reload();
  }
}
async function stackByWorkload(page) {
  await waitForChart(page);
  await page.waitForTimeout(1500);
  await page.getByLabel('Stacked by').selectOption('workload');
  await page.waitForTimeout(1500);
}
async function scrollToCosts(page) {
  await page.getByTestId('cluster-cost-table').waitFor();
  await page.getByRole('heading', { name: 'Costs', level: 2 }).scrollIntoViewIfNeeded();
}
// The registration form's schedule: weekday nights in Tokyo, scaled to zero, movable.
async function scheduleRegistration(page) {
  await fillRegistration(page);
  const sched = page.getByTestId('register-schedule');
  await sched.getByRole('button', { name: 'In recurring windows' }).click();
  await sched.getByLabel('Time zone').fill('Asia/Tokyo');
  await sched.getByLabel('Keep it, scaled to zero').check();
  await sched.getByLabel('May be moved to a quieter cluster').check();
  await sched.scrollIntoViewIfNeeded();
}
// The Schedules page once the thresholds table (administrators) is there.
async function waitForThresholds(page) {
  await page.getByTestId('thresholds').waitFor({ timeout: 20_000 });
}
// The world map, zoomed a little towards Japan.
async function openWorldMap(page) {
  await page.getByRole('button', { name: 'World map' }).click();
  await page.getByTestId('world-map').waitFor();
  await page.getByTestId('world-map').locator('.world-marker--group').hover();
  await page.waitForTimeout(500);
}
// An administrator's home page once the world map has its markers and the bars their clusters.
async function waitForDashboard(page) {
  await page.getByTestId('world-map').locator('.world-marker').first().waitFor({ timeout: 20_000 });
  await page.getByTestId('utilisation-bars').first().waitFor();
  await page.waitForTimeout(500);
}
// A developer's home page: his workloads, the clusters' health and the queue.
async function waitForWorkloads(page) {
  await page.getByTestId('my-workloads').waitFor({ timeout: 20_000 });
  await page.waitForTimeout(500);
}
// A node's page, from the first node of the first cluster's table.
async function openNode(page) {
  await page.locator('#node-table tbody tr').first().getByRole('link').click();
  await page.locator('#node-pods').waitFor({ timeout: 20_000 });
}
// alice adds the topology to her dashboard and picks a node: every cluster and the node's pods
// show in the widget (issue 23, item 2).
async function topologyWidget(page) {
  await page.getByTestId('dashboard').locator('section.widget').first().waitFor();
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached' });
  await page.getByLabel('Widget').selectOption({ label: 'Fleet topology map' });
  await page.getByRole('button', { name: 'Add widget' }).click();
  const topo = page.locator('section.widget[data-widget="Topology"]');
  await topo.locator('g.node').first().click();
  await topo.locator('aside.fleet-pods tr[data-pod]').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
}
// Carol's dashboard: team-b's cost over 30 days, the budget, utilisation by memory, the heatmap.
async function costWidgets(page) {
  await page.getByTestId('dashboard').locator('section.widget').first().waitFor();
  for (const w of await page.locator('section.widget').all()) {
    await page.locator('section.widget').first().getByRole('button', { name: 'Remove' }).click();
  }
  const add = async (label, kind) => {
    await page.getByLabel('Widget').selectOption({ label });
    await page.getByRole('button', { name: 'Add widget' }).click();
    return page.locator(`section.widget[data-widget="${kind}"]`).last();
  };
  const cost = await add('Cost over time', 'CostOverTime');
  await cost.getByRole('button', { name: 'Wider' }).click();
  await cost.getByRole('button', { name: 'Wider' }).click();
  await cost.getByRole('button', { name: 'Taller' }).click();
  await cost.getByRole('button', { name: 'Settings' }).click();
  await cost.getByLabel('Project').selectOption('team-b');
  await cost.getByLabel('Time range').selectOption({ label: 'Last 30 days' });
  const budget = await add('Budget status', 'BudgetStatus');
  await budget.getByRole('button', { name: 'Move up' }).click();
  for (let i = 0; i < 8; i++) await budget.getByRole('button', { name: 'Move right' }).click();
  const util = await add('Cluster utilisation', 'ClusterUtilisation');
  await util.getByRole('button', { name: 'Settings' }).click();
  await util.getByLabel('Metric').selectOption('memory');
  const top = await add('Top workloads by cost', 'TopWorkloads');
  await top.getByRole('button', { name: 'Wider' }).click();
  await top.getByRole('button', { name: 'Move up' }).click();
  for (let i = 0; i < 6; i++) await top.getByRole('button', { name: 'Move right' }).click();
  await add('Pod heatmap', 'PodHeatmap');
  await page.waitForTimeout(2000);
  await page.evaluate(() => window.scrollTo(0, 0));
}
// [file, who (null = signed out), path, viewport, colour scheme, full page, action, page options]
const shots = [
  ['screenshot.png', 'alice', '/', { width: 1280, height: 800 }, 'light', false, waitForDashboard],
  ['shot-fleet.png', 'alice', '/fleet', { width: 1440, height: 900 }, 'light', true],
  ['shot-fleet-dark.png', 'alice', '/fleet', { width: 1440, height: 900 }, 'dark', false],
  ['shot-fleet-zoom.png', 'alice', '/fleet', { width: 1440, height: 900 }, 'light', false, zoomIn],
  ['shot-fleet-developer.png', 'bob', '/fleet', { width: 1280, height: 720 }, 'light', false],
  ['shot-cluster.png', 'alice', '/clusters/1', { width: 1280, height: 800 }, 'light', true],
  ['shot-login.png', null, '/login', { width: 1280, height: 800 }, 'light', false],
  ['shot-admin.png', 'alice', '/admin', { width: 1280, height: 800 }, 'light', true],
  ['shot-admin-dark.png', 'alice', '/admin', { width: 1280, height: 800 }, 'dark', false],
  ['shot-admin-refused.png', 'bob', '/admin', { width: 1280, height: 600 }, 'light', false],
  ['shot-account.png', 'carol', '/account', { width: 1280, height: 600 }, 'dark', false],
  ['shot-workloads-tablet.png', 'carol', '/workloads', { width: 820, height: 1000 }, 'light', false],
  ['shot-404.png', 'bob', '/nope', { width: 1280, height: 600 }, 'dark', false],
  ['shot-register.png', 'bob', '/workloads/new', { width: 1440, height: 900 }, 'light', true, fillRegistration],
  ['shot-workload.png', 'bob', '/workloads/new', { width: 1280, height: 900 }, 'light', true, registerAndWait],
  ['shot-workloads.png', 'bob', '/workloads', { width: 1280, height: 700 }, 'light', true],
  ['shot-costs.png', 'carol', '/costs?project=team-b', { width: 1280, height: 900 }, 'light', true, waitForChart],
  ['shot-costs-workloads-dark.png', 'carol', '/costs?project=team-b', { width: 1280, height: 800 }, 'dark', false, stackByWorkload],
  ['shot-costs-admin.png', 'alice', '/admin/costs', { width: 1280, height: 900 }, 'light', false, scrollToCosts],
  ['shot-register-schedule.png', 'bob', '/workloads/new', { width: 1440, height: 900 }, 'light', false, scheduleRegistration],
  ['shot-schedules.png', 'alice', '/schedules', { width: 1440, height: 900 }, 'light', true, waitForThresholds],
  ['shot-world-map.png', 'alice', '/fleet', { width: 1440, height: 900 }, 'light', true, openWorldMap],
  ['shot-dashboard.png', 'bob', '/', { width: 1440, height: 1000 }, 'light', false, waitForWorkloads],
  ['shot-node.png', 'alice', '/clusters/1', { width: 1280, height: 800 }, 'light', false, openNode],
  ['shot-phone-dashboard.png', 'carol', '/', { width: 390, height: 844 }, 'light', true],
  ['shot-phone-costs-dark.png', 'carol', '/costs?project=team-b', { width: 390, height: 844 }, 'dark', true, waitForChart],
  ['shot-phone-workloads.png', 'bob', '/workloads', { width: 390, height: 844 }, 'light', true],
  ['shot-dashboard-widgets.png', 'carol', '/', { width: 1440, height: 1100 }, 'light', false, costWidgets],
  ['shot-dashboard-topology.png', 'alice', '/', { width: 1280, height: 800 }, 'light', true, topologyWidget],
  // The dashboard as the server sends it: what a browser without JavaScript (or before the
  // bundle arrives) shows.
  ['shot-dashboard-nojs.png', 'carol', '/', { width: 1440, height: 1100 }, 'light', false, null, { javaScriptEnabled: false }],
];
// `screens` as the third argument: every main page of each role at a phone's and a laptop's
// size, light and dark (end2end/tests/screens.spec.ts checks the same pages by computation;
// these are for the eye). Written to `out`, not committed.
const pages = { alice: ['/', '/fleet', '/workloads', '/costs', '/schedules', '/admin', '/admin/projects', '/admin/clusters', '/admin/costs', '/admin/access', '/admin/audit', '/account', '/clusters/1'], bob: ['/', '/fleet', '/workloads', '/workloads/new', '/costs', '/schedules'], carol: ['/', '/workloads', '/costs?project=team-b'] };
const matrix = [];
for (const [who, paths] of Object.entries(pages)) {
  for (const path of paths) {
    for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['laptop', { width: 1280, height: 800 }]]) {
      for (const scheme of ['light', 'dark']) {
        const slug = path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'home';
        matrix.push([`screens-${who}-${slug}-${size}-${scheme}.png`, who, path, viewport, scheme, true]);
      }
    }
  }
}
const chosen = only === 'screens' ? matrix : shots.filter(([f]) => f.includes(only));
for (const [file, who, path, viewport, colorScheme, fullPage, action, options] of chosen) {
  const page = await browser.newPage({ viewport, colorScheme, ...options });
  if (who) {
    await page.goto(new URL('/login', base).toString());
    await page.getByRole('button', { name: `Continue as ${who}` }).click();
    await page.waitForURL(new URL('/', base).toString());
  }
  await page.goto(new URL(path, base).toString());
  await page.waitForLoadState('networkidle');
  if (action) await action(page);
  await page.screenshot({ path: `${out}/${file}`, fullPage });
  await page.close();
}
await browser.close();
