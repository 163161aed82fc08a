// Starts two worlds, each on 127.0.0.1 with free ports and a fresh SQLite database:
//  - the test OpenID provider in its lenient mode (claims in the ID token, refresh tokens)
//    with `flotilla demo` wired to it; the demo administrator maps groups to roles;
//  - the provider in its strict mode (claims only from userinfo, Keycloak-style nested
//    groups, no refresh tokens) with `flotilla serve` on a fresh database: a local
//    administrator made by `flotilla admin create` creates a project and the mappings.
// Both portals re-confirm SSO sessions with their provider every 6 s.
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
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

/// Mirrors a local administrator's first steps on a fresh `flotilla serve` through the REST
/// API: a project and the group mappings.
async function setUpServedPortal(url: string, email: string, password: string): Promise<void> {
  const signIn = await fetch(`${url}/auth/local`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: `email=${encodeURIComponent(email)}&password=${encodeURIComponent(password)}&next=/`,
  });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
  if (!cookie.startsWith('flotilla_session=')) throw new Error(`local sign-in failed: ${signIn.status} ${signIn.headers.get('location')}`);
  const post = async (path: string, body: object, expect: number) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: url },
      body: JSON.stringify(body),
    });
    if (res.status !== expect) throw new Error(`POST ${path} failed: ${res.status} ${await res.text()}`);
  };
  await post('/api/v1/projects', { name: 'team-a', display_name: 'Team A' }, 201);
  await post('/api/v1/group-mappings', { group: 'platform-admins', role: 'administrator' }, 201);
  await post('/api/v1/group-mappings', { group: 'team-a-devs', role: 'developer', project: 'team-a' }, 201);
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
      FLOTILLA_OIDC_RECHECK_MINUTES: '0.1',
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

  // The strict world: `flotilla serve`, a fresh database, a local administrator (who has
  // the e-mail that mallory claims, unverified, at the provider).
  const strictDir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-serve-'));
  const strictProvider = spawn(process.execPath, [join(__dirname, 'oidc', 'provider.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, OIDC_MODE: 'strict' },
  });
  const strictIssuer = (await waitForLine(strictProvider, /OIDC provider ready (http:\/\/127\.0\.0\.1:\d+)/, 'the strict OpenID provider'))[1];
  const serveEnv = {
    PATH: process.env.PATH ?? '',
    FLOTILLA_ADDR: '127.0.0.1:0',
    FLOTILLA_SITE_ROOT: siteRoot,
    FLOTILLA_DATA_DIR: strictDir,
    FLOTILLA_DATABASE_URL: `sqlite://${strictDir}/flotilla.db`,
    FLOTILLA_SHUTDOWN_GRACE_SECS: '3',
    FLOTILLA_OIDC_ISSUER: strictIssuer,
    FLOTILLA_OIDC_CLIENT_ID: 'flotilla',
    FLOTILLA_OIDC_CLIENT_SECRET: 'flotilla-test-secret',
    FLOTILLA_OIDC_GROUPS_CLAIM: 'realm_access.roles',
    FLOTILLA_OIDC_RECHECK_MINUTES: '0.1',
  };
  const adminPassword = 'a local administrator password';
  const made = spawnSync(bin, ['admin', 'create', '--email', 'alice@demo.flotilla.test', '--name', 'Local Admin'], {
    cwd: strictDir,
    env: { ...serveEnv, FLOTILLA_ADMIN_PASSWORD: adminPassword },
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`flotilla admin create failed: ${made.stderr}`);
  const served = spawn(bin, ['serve'], { cwd: strictDir, env: serveEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  const strictUrl = (await waitForLine(served, /listening on (http:\/\/127\.0\.0\.1:\d+)/, `${bin} serve`))[1];
  strictProvider.stdin!.write(`client ${strictUrl}/auth/callback ${strictUrl}/login?signed_out=1\n`);
  await waitForLine(strictProvider, /OIDC provider configured/, 'the strict OpenID provider configuration');
  await setUpServedPortal(strictUrl, 'alice@demo.flotilla.test', adminPassword);
  process.env.FLOTILLA_STRICT_URL = strictUrl;
  process.env.FLOTILLA_STRICT_ADMIN_PASSWORD = adminPassword;
  process.env.OIDC_STRICT_ISSUER = strictIssuer;

  return async () => {
    portal.kill('SIGTERM');
    served.kill('SIGTERM');
    for (const p of [provider, strictProvider]) {
      p.stdin!.end();
      p.kill('SIGTERM');
    }
    await Promise.all([new Promise((done) => portal.once('exit', done)), new Promise((done) => served.once('exit', done))]);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(strictDir, { recursive: true, force: true });
  };
}
