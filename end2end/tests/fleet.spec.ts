// The fleet: an administrator registers a cluster from the demo fleet's kubeconfig, sees its
// nodes on the map, zooms in and lists a node's pods; a pod created in the simulator appears
// without a reload; a developer sees only their project's namespaces; the cluster page draws.
import { test, expect, Page } from '@playwright/test';
import { request as httpsRequest } from 'node:https';
import { parse } from 'yaml';
import { afterwards, apiAs, portalUrl, restore, runAfterwards, signInAsDemo, hydrated, kubeconfigText, pasteKubeconfig } from './portal';

test.afterEach(runAfterwards);

/// Creates a pod straight in a simulated cluster (as kubectl would), pinned to `node`.
async function createPod(context: string, namespace: string, name: string, node: string): Promise<void> {
  const kc = parse(kubeconfigText());
  const cluster = kc.clusters.find((c: any) => c.name === context).cluster;
  const token = kc.users.find((u: any) => u.name === context).user.token;
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString();
  const body = JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'example/probe:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
  });
  const url = new URL(`${cluster.server}/api/v1/namespaces/${namespace}/pods`);
  await new Promise<void>((ok, fail) => {
    const req = httpsRequest(url, { method: 'POST', ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode === 201 ? ok() : fail(new Error(`pod create: ${res.statusCode} ${text}`))));
    });
    req.on('error', fail);
    req.end(body);
  });
}

async function openTile(page: Page, name: string) {
  const tile = page.locator(`article.fleet-tile[aria-label="${name}"]`);
  await expect(tile).toBeVisible({ timeout: 15_000 });
  return tile;
}

test('an administrator registers a cluster from a kubeconfig and drills down to pods', async ({ page }) => {
  // The second registration of the simulator's onprem-dev goes again afterwards.
  afterwards(async () => {
    const admin = await apiAs('alice');
    const second = (await (await admin.get('/api/v1/clusters')).json()).find((c: any) => c.name === 'onprem-dev-2');
    if (second) await restore(admin, 'delete', `/api/v1/clusters/${second.id}`);
    await admin.dispose();
  });
  await signInAsDemo(page, 'alice', '/admin/clusters');
  const form = page.locator('form.cluster-form');
  await pasteKubeconfig(page, form);
  await form.getByLabel('Context').selectOption('onprem-dev');
  await form.getByLabel('Name (DNS label)').fill('onprem-dev-2');
  await form.getByLabel('Display name').fill('On-prem dev (second)');
  await form.getByLabel('Provider').selectOption('on-prem');
  await form.getByLabel('Region').fill('tokyo-dc1');
  // The world-map location: the hint says where the cluster will appear as it is typed.
  const where = form.getByTestId('location-hint');
  await expect(where).toContainText('not on the map');
  await form.getByLabel('Location on the world map').fill('Atlantis');
  await expect(where).toContainText('is not a city Flotilla knows');
  await form.getByRole('button', { name: 'Test connection' }).click();
  const report = page.getByTestId('connection-report');
  await expect(report).toContainText('Connection works.');
  await expect(report).toContainText('nodes');
  // A bad price is refused in words and nothing typed is lost.
  await form.getByLabel('Control-plane price per hour').fill('cheap');
  await form.getByRole('button', { name: 'Register cluster' }).click();
  await expect(form.getByRole('alert')).toContainText('control-plane price');
  await expect(form.getByRole('alert')).toContainText('location: "Atlantis" is not a city');
  await expect(form.getByLabel('Name (DNS label)')).toHaveValue('onprem-dev-2');
  await form.getByLabel('Control-plane price per hour').fill('0');
  await form.getByLabel('Location on the world map').fill('-33.87, 151.21');
  await expect(where).toHaveText('Placed at -33.87, 151.21.');
  await form.getByRole('button', { name: 'Register cluster' }).click();
  await expect(page.getByText('Cluster registered.')).toBeVisible();
  await expect(page.locator('#cluster-admin-table')).toContainText('On-prem dev (second)');
  const admin = await page.content();
  expect(admin).not.toContain('flotilla-sim-onprem-dev-');

  await page.goto(portalUrl('/fleet'));
  const tile = await openTile(page, 'onprem-dev-2');
  await expect(tile.locator('g.node').first()).toBeVisible({ timeout: 15_000 });
  const nodes = await tile.locator('g.node').count();
  expect(nodes).toBeGreaterThan(0);
  await hydrated(
    page,
    () => tile.getByRole('button', { name: 'On-prem dev (second)' }).click(),
    () => expect(page.locator('.fleet-tile--zoomed')).toHaveCount(1),
  );
  await expect(page.locator('article.fleet-tile')).toHaveCount(1);
  const node = page.locator('.fleet-tile--zoomed g.node').first();
  const nodeName = await node.getAttribute('data-node');
  await node.click();
  const pods = page.locator('aside.fleet-pods');
  await expect(pods).toContainText(`Pods on ${nodeName}`);
  await expect(pods.locator('tr[data-pod]').first()).toBeVisible();

  // A pod created in the simulator appears without a reload.
  const before = await page.locator('.fleet-status .summary').textContent();
  await createPod('onprem-dev', 'team-a', 'e2e-live-pod', nodeName!);
  await expect(pods.locator('tr[data-pod="e2e-live-pod"]')).toBeVisible({ timeout: 5_000 });
  await expect(page.locator('.fleet-status .summary')).not.toHaveText(before!, { timeout: 5_000 });

  // The cluster page: donuts, tables, heatmap section.
  await page.getByRole('link', { name: 'Open cluster page' }).click();
  await expect(page.getByRole('heading', { name: 'On-prem dev (second)' })).toBeVisible();
  await expect(page.locator('.donut svg')).toHaveCount(3);
  await expect(page.locator('#node-table tbody tr')).toHaveCount(nodes);
  await expect(page.locator('#namespace-table')).toContainText('team-a');
  await expect(page.getByRole('heading', { name: 'Utilisation over time' })).toBeVisible();
});

test('a developer sees only their project’s namespaces and pods', async ({ page }) => {
  await signInAsDemo(page, 'bob', '/fleet');
  const tile = await openTile(page, 'tokyo-prod');
  await expect(page.locator('article.fleet-tile[aria-label="gpu-ml"]')).toHaveCount(0);
  const namespaceOptions = await page.getByLabel('Namespace').locator('option').allTextContents();
  expect(namespaceOptions).toEqual(['All namespaces', 'team-a']);
  await hydrated(
    page,
    () => page.getByLabel('Namespace').selectOption('team-a'),
    () => expect(tile.locator('g.node:not(.dim)').first()).toBeVisible(),
  );
  await tile.locator('g.node:not(.dim)').first().click();
  const rows = page.locator('aside.fleet-pods tr[data-pod]');
  await expect(rows.first()).toBeVisible();
  for (const text of await rows.allTextContents()) expect(text).toContain('team-a');
  const api = await page.request.get(portalUrl('/api/v1/fleet'));
  const names = (await api.json()).map((t: any) => t.cluster.name);
  expect(names).not.toContain('gpu-ml');
  for (const t of await api.json()) for (const [ns] of t.namespaces) expect(ns).toBe('team-a');
});
