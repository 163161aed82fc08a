// Starts the test OpenID provider (end2end/oidc/provider.mjs) and `flotilla demo` wired to
// it, each on 127.0.0.1 with a free port; the portal gets a fresh SQLite database. Then,
// as the demo administrator, maps the provider's groups to roles, as an operator would.
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start within 30 s`)), 30_000);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = buffered.match(pattern);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        ok(m);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => fail(new Error(`${what} exited early with code ${code}`)));
    child.on('error', fail);
  });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = resolve(__dirname, '..');
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
  const bin = resolve(process.env.FLOTILLA_BIN ?? join(targetDir, 'release', 'flotilla'));
  const siteRoot = resolve(process.env.FLOTILLA_SITE_ROOT ?? join(root, 'target', 'site'));
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-'));

  const provider = spawn(process.execPath, [join(__dirname, 'oidc', 'provider.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const issuer = (await waitForLine(provider, /OIDC provider ready (http:\/\/127\.0\.0\.1:\d+)/, 'the OpenID provider'))[1];

  const portal = spawn(bin, ['demo'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      FLOTILLA_ADDR: '127.0.0.1:0',
      FLOTILLA_SITE_ROOT: siteRoot,
      FLOTILLA_DATABASE_URL: `sqlite://${dataDir}/flotilla.db`,
      FLOTILLA_SHUTDOWN_GRACE_SECS: '3',
      // Snapshots, cost samples and budget checks every 5 s instead of every minute.
      FLOTILLA_SNAPSHOT_INTERVAL_SECS: '5',
      FLOTILLA_OIDC_ISSUER: issuer,
      FLOTILLA_OIDC_CLIENT_ID: 'flotilla',
      FLOTILLA_OIDC_CLIENT_SECRET: 'flotilla-test-secret',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = (await waitForLine(portal, /listening on (http:\/\/127\.0\.0\.1:\d+)/, bin))[1];
  provider.stdin!.write(`client ${url}/auth/callback ${url}/login?signed_out=1\n`);
  await waitForLine(provider, /OIDC provider configured/, 'the OpenID provider configuration');
  process.env.FLOTILLA_URL = url;
  // Where the demo keeps its files (the simulated fleet's kubeconfig is in data/).
  process.env.FLOTILLA_E2E_DATA = dataDir;
  process.env.OIDC_ISSUER = issuer;

  // Group mappings, made by the demo administrator through the REST API.
  const signIn = await fetch(`${url}/auth/demo`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: 'login=alice&next=/',
  });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
  if (!cookie.startsWith('flotilla_session=')) throw new Error(`demo sign-in failed: ${signIn.status}`);
  for (const mapping of [
    { group: 'platform-admins', role: 'administrator' },
    { group: 'team-a-devs', role: 'developer', project: 'team-a' },
    { group: 'team-b-owners', role: 'owner', project: 'team-b' },
  ]) {
    const res = await fetch(`${url}/api/v1/group-mappings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: url },
      body: JSON.stringify(mapping),
    });
    if (res.status !== 201) throw new Error(`group mapping ${mapping.group} failed: ${res.status} ${await res.text()}`);
  }

  return async () => {
    portal.kill('SIGTERM');
    provider.stdin!.end();
    provider.kill('SIGTERM');
    await new Promise((done) => portal.once('exit', done));
    rmSync(dataDir, { recursive: true, force: true });
  };
}
