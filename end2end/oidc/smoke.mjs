// Smoke test for provider.mjs: starts it as a child (once per OIDC_MODE),
// speaks the stdin protocol, and runs full authorization code + PKCE flows,
// refreshes, silent (prompt=none) re-authentication and the test-control
// endpoints with plain fetch.
// Run: node end2end/oidc/smoke.mjs   (exit 0 on success)

import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const POST_LOGOUT_REDIRECT_URI = 'http://127.0.0.1:9/';
const CLIENT_ID = 'flotilla';
const CLIENT_SECRET = 'flotilla-test-secret';
const OVERAGE_ENDPOINT = 'https://graph.microsoft.com/v1.0/users/erin/getMemberObjects';

let passed = 0;
let label = '';
function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${label}${message}`);
  passed += 1;
  console.log(`ok - ${label}${message}`);
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const decodeJwtPart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
const idTokenClaims = (jwt) => decodeJwtPart(jwt.split('.')[1]);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// --- a minimal path-aware cookie jar ---------------------------------------
class Jar {
  constructor() { this.cookies = new Map(); } // key name|path -> {name, value, path}

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let cpath = '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.toLowerCase();
        if (key === 'path') cpath = v || '/';
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
      }
      const id = `${name}|${cpath}`;
      if (expired || value === '') this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path: cpath });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    const matching = [...this.cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  names() { return [...new Set([...this.cookies.values()].map((c) => c.name))]; }
}

async function request(jar, url, init = {}) {
  const headers = new Headers(init.headers || {});
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(res);
  return res;
}

// --- the provider child ------------------------------------------------------
const providers = [];

function startProvider(mode) {
  const env = { ...process.env };
  delete env.OIDC_REDIRECT_URI;
  delete env.OIDC_POST_LOGOUT_REDIRECT_URI;
  if (mode === undefined) delete env.OIDC_MODE;
  else env.OIDC_MODE = mode;
  const child = spawn(process.execPath, [path.join(HERE, 'provider.mjs')], {
    stdio: ['pipe', 'pipe', 'pipe'], env,
  });
  const stderrChunks = [];
  child.stderr.on('data', (d) => stderrChunks.push(d));
  const stdoutLines = [];
  const lineWaiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    stdoutLines.push(line);
    console.log(`[provider stdout] ${line}`);
    for (const w of [...lineWaiters]) {
      if (w.re.test(line)) {
        lineWaiters.splice(lineWaiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  function waitForLine(re, ms = 15000) {
    const seen = stdoutLines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { re, resolve };
      lineWaiters.push(w);
      setTimeout(() => reject(new Error(`timed out waiting for ${re}`)), ms).unref();
      exited.then(({ code }) => reject(new Error(`provider exited (${code}) before ${re}`)));
    });
  }

  const handle = {
    child, stdoutLines, waitForLine, exited, stderr: () => Buffer.concat(stderrChunks).toString(),
  };
  providers.push(handle);
  return handle;
}

async function configureProvider(p) {
  const ready = await p.waitForLine(/^OIDC provider ready /);
  const m = /^OIDC provider ready (http:\/\/127\.0\.0\.1:(\d+))$/.exec(ready);
  check(Boolean(m), `ready line has the exact form (${ready})`);
  const issuer = m[1];

  const early = await fetch(`${issuer}/.well-known/openid-configuration`);
  await early.arrayBuffer();
  check(early.status === 503, 'requests before configuration get 503');
  const earlyControl = await fetch(`${issuer}/_test/users/bob/groups`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"groups":[]}',
  });
  await earlyControl.arrayBuffer();
  check(earlyControl.status === 503, 'test-control requests before configuration get 503 too');

  p.child.stdin.write(`client ${REDIRECT_URI} ${POST_LOGOUT_REDIRECT_URI}\n`);
  await p.waitForLine(/^OIDC provider configured$/);
  check(p.stdoutLines.length === 2, 'stdout has exactly the ready and configured lines');

  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  check(discovery.issuer === issuer, 'discovery issuer matches');
  for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'end_session_endpoint', 'userinfo_endpoint']) {
    check(typeof discovery[key] === 'string' && discovery[key].startsWith(`${issuer}/`), `discovery has ${key}`);
  }
  check(discovery.code_challenge_methods_supported?.includes('S256'), 'S256 PKCE supported');
  check(discovery.id_token_signing_alg_values_supported?.includes('RS256'), 'RS256 id_token signing supported');
  return { issuer, discovery };
}

async function stopProvider(p) {
  check(p.stdoutLines.length === 2, 'stdout still holds only the two protocol lines');
  p.child.stdin.end();
  const ended = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r(null), 5000))]);
  check(ended !== null && ended.code === 0, 'provider exits 0 when stdin closes');
  const err = p.stderr();
  if (err.trim()) console.log(`[provider stderr]\n${err.trimEnd()}`);
}

// --- flows -------------------------------------------------------------------
function authorizationUrl(discovery, extra = {}) {
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
  const state = b64url(crypto.randomBytes(12));
  const nonce = b64url(crypto.randomBytes(12));
  const auth = new URL(discovery.authorization_endpoint);
  auth.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile groups',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return {
    url: auth.toString(), verifier, state, nonce,
  };
}

async function loginFlow(issuer, discovery, jar, { username, password, expectLoginPage = true }) {
  const start = authorizationUrl(discovery);
  let { url } = start;
  let callback;
  let sawLoginPage = false;
  for (let hop = 0; hop < 15 && !callback; hop += 1) {
    const res = await request(jar, url);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url).toString();
      await res.arrayBuffer();
      if (next.startsWith(`${REDIRECT_URI}?`)) callback = new URL(next);
      else url = next;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 || !/name="login"/.test(html)) {
      throw new Error(`unexpected response ${res.status} at ${url}: ${html.slice(0, 500)}`);
    }
    sawLoginPage = true;
    check(/<label for="login">Username<\/label>/.test(html), 'login page has a "Username" label');
    check(/<label for="password">Password<\/label>/.test(html)
      && /name="password" type="password"/.test(html), 'login page has a "Password" password field');
    check(/<button type="submit">Sign in<\/button>/.test(html), 'login page has a "Sign in" button');
    check(!/https?:\/\/(?!127\.0\.0\.1)/.test(html), 'login page loads no external resources');
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(html)[1].replace(/&amp;/g, '&'), url).toString();

    const bad = await request(jar, action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: username, password: 'definitely-wrong' }),
    });
    const badHtml = await bad.text();
    check(bad.status === 200 && badHtml.includes('Wrong username or password'),
      'wrong password re-shows the form with "Wrong username or password"');

    const good = await request(jar, action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: username, password }),
    });
    await good.arrayBuffer();
    check(good.status >= 300 && good.status < 400, `correct password for ${username} redirects (${good.status})`);
    url = new URL(good.headers.get('location'), action).toString();
  }
  if (!callback) throw new Error('never reached the redirect_uri');
  check(sawLoginPage === expectLoginPage, expectLoginPage ? 'login page was shown' : 'existing session skipped the login page');
  check(callback.searchParams.get('state') === start.state, 'callback carries the state');
  check(callback.searchParams.get('iss') === issuer, 'callback carries iss = issuer (RFC 9207)');
  const code = callback.searchParams.get('code');
  check(Boolean(code), 'callback carries a code');
  return { ...start, code };
}

// prompt=none: follow redirects only; any HTML page is a failure.
async function silentAuth(discovery, jar) {
  const start = authorizationUrl(discovery, { prompt: 'none' });
  let { url } = start;
  for (let hop = 0; hop < 10; hop += 1) {
    const res = await request(jar, url);
    const location = res.headers.get('location');
    if (!(res.status >= 300 && res.status < 400) || !location) {
      const body = await res.text();
      throw new Error(`prompt=none answered ${res.status} at ${url} instead of redirecting: ${body.slice(0, 300)}`);
    }
    await res.arrayBuffer();
    const next = new URL(location, url).toString();
    if (next.startsWith(`${REDIRECT_URI}?`)) {
      const callback = new URL(next);
      check(callback.searchParams.get('state') === start.state, 'prompt=none callback carries the state');
      return {
        ...start,
        code: callback.searchParams.get('code'),
        error: callback.searchParams.get('error'),
      };
    }
    url = next;
  }
  throw new Error('prompt=none never reached the redirect_uri');
}

function clientAuth(method, body, headers) {
  if (method === 'basic') {
    const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
    headers.authorization = `Basic ${basic}`;
  } else {
    body.set('client_id', CLIENT_ID);
    body.set('client_secret', CLIENT_SECRET);
  }
}

async function tokenRequest(discovery, body, method) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  clientAuth(method, body, headers);
  const res = await fetch(discovery.token_endpoint, { method: 'POST', headers, body });
  const json = await res.json();
  return { status: res.status, json };
}

async function exchange(discovery, code, verifier, { method = 'basic' } = {}) {
  return tokenRequest(discovery, new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier,
  }), method);
}

async function refresh(discovery, refreshToken, { method = 'basic' } = {}) {
  return tokenRequest(discovery, new URLSearchParams({
    grant_type: 'refresh_token', refresh_token: refreshToken,
  }), method);
}

async function userinfo(discovery, accessToken) {
  const res = await fetch(discovery.userinfo_endpoint, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return { status: res.status, json: await res.json() };
}

async function control(issuer, login, action, body) {
  const res = await fetch(`${issuer}/_test/users/${encodeURIComponent(login)}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

async function verifyIdToken(discovery, idToken) {
  const [h, p, s] = idToken.split('.');
  const header = decodeJwtPart(h);
  const payload = decodeJwtPart(p);
  check(header.alg === 'RS256', `id_token is signed RS256 (alg ${header.alg})`);
  const jwks = await (await fetch(discovery.jwks_uri)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  check(Boolean(jwk) && !('d' in jwk), 'jwks_uri publishes the public signing key only');
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  check(ok, 'id_token signature verifies against jwks_uri');
  return payload;
}

async function signIn(issuer, discovery, username, password) {
  const jar = new Jar();
  const flow = await loginFlow(issuer, discovery, jar, { username, password });
  const tok = await exchange(discovery, flow.code, flow.verifier);
  check(tok.status === 200, `token exchange for ${username} succeeds (${tok.status} ${tok.json.error || ''})`);
  return { jar, tok, claims: await verifyIdToken(discovery, tok.json.id_token) };
}

async function logout(discovery, jar, idToken) {
  const u = new URL(discovery.end_session_endpoint);
  u.search = new URLSearchParams({
    id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: 'bye',
  }).toString();
  const res = await request(jar, u.toString());
  const html = await res.text();
  check(res.status === 200 && /<button[^>]*name="logout"[^>]*>Sign out<\/button>/.test(html), 'logout page has a "Sign out" button');
  check(!/https?:\/\/(?!127\.0\.0\.1)/.test(html), 'logout page loads no external resources');
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  const fields = new URLSearchParams();
  for (const mm of form[2].matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields.set(mm[1], mm[2]);
  fields.set('logout', 'yes');
  const post = await request(jar, new URL(form[1], u).toString(), {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields,
  });
  await post.arrayBuffer();
  const loc = post.headers.get('location') || '';
  check(post.status === 303 && loc.startsWith(POST_LOGOUT_REDIRECT_URI) && new URL(loc).searchParams.get('state') === 'bye',
    `logout redirects to post_logout_redirect_uri (${loc})`);
  check(!jar.names().includes('op_session'), 'logout cleared op_session');
}

// --- lenient (default) mode ----------------------------------------------------
async function lenient() {
  label = '[lenient] ';
  const p = startProvider(undefined); // no OIDC_MODE: the default
  const { issuer, discovery } = await configureProvider(p);
  check(discovery.grant_types_supported?.includes('refresh_token'), 'discovery offers the refresh_token grant');
  check(discovery.claims_supported?.includes('groups') && !discovery.claims_supported.includes('realm_access'),
    'claims_supported lists groups, not realm_access');

  // PKCE is required: an authorization request without code_challenge fails.
  {
    const u = new URL(discovery.authorization_endpoint);
    u.search = new URLSearchParams({
      response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: 'openid', state: 's',
    }).toString();
    const res = await fetch(u, { redirect: 'manual' });
    await res.arrayBuffer();
    const loc = res.headers.get('location') || '';
    check(loc.startsWith(`${REDIRECT_URI}?`) && new URL(loc).searchParams.get('error') === 'invalid_request',
      'authorization request without PKCE is rejected');
  }

  // No provider session: prompt=none answers login_required.
  {
    const silent = await silentAuth(discovery, new Jar());
    check(silent.error === 'login_required' && !silent.code, `prompt=none without a session answers login_required (${silent.error})`);
  }

  const jar = new Jar();
  const first = await loginFlow(issuer, discovery, jar, { username: 'bob', password: 'bob-pw' });
  check(jar.names().includes('op_session'), 'provider session cookie is named op_session');
  check(!jar.names().some((n) => n === '_session' || n === '_interaction'), 'no default-named provider cookies');

  const bad = await exchange(discovery, first.code, b64url(crypto.randomBytes(32)));
  check(bad.status === 400 && bad.json.error === 'invalid_grant', 'wrong code_verifier is rejected');
  // oidc-provider does not burn the code on a PKCE mismatch.
  const tok = await exchange(discovery, first.code, first.verifier);
  check(tok.status === 200, `token exchange with client_secret_basic succeeds (${tok.status} ${tok.json.error || ''})`);
  check(tok.json.token_type === 'Bearer' && typeof tok.json.access_token === 'string', 'access token issued');
  check(typeof tok.json.refresh_token === 'string' && tok.json.refresh_token.length > 0,
    'a refresh token is issued on the code exchange (no offline_access asked)');
  const claims = await verifyIdToken(discovery, tok.json.id_token);
  check(claims.iss === issuer, 'id_token iss');
  check(claims.aud === CLIENT_ID, 'id_token aud');
  check(claims.sub === 'bob', 'id_token sub = bob');
  check(claims.nonce === first.nonce, 'id_token nonce matches');
  check(claims.email === 'bob@example.test', 'id_token email');
  check(claims.email_verified === true, 'id_token email_verified');
  check(claims.name === 'Bob Builder', 'id_token name');
  check(same(claims.groups, ['team-a-devs']), 'id_token groups = ["team-a-devs"]');
  check(!('realm_access' in claims), 'id_token has no realm_access');

  const info = await userinfo(discovery, tok.json.access_token);
  check(info.json.sub === 'bob' && info.json.email === 'bob@example.test', 'userinfo answers for bob');

  // Silent re-authentication with the live provider session.
  {
    const silent = await silentAuth(discovery, jar);
    check(Boolean(silent.code) && !silent.error, `prompt=none with a session returns a code without a page (${silent.error || 'code'})`);
    const t = await exchange(discovery, silent.code, silent.verifier);
    check(t.status === 200 && idTokenClaims(t.json.id_token).sub === 'bob', 'the prompt=none code exchanges for bob\'s tokens');
    check(idTokenClaims(t.json.id_token).nonce === silent.nonce, 'prompt=none id_token carries its own nonce');
  }

  // Refresh: works, and works again with the same (unrotated) token.
  const r1 = await refresh(discovery, tok.json.refresh_token);
  check(r1.status === 200, `refresh_token grant succeeds (${r1.status} ${r1.json.error || ''})`);
  check(typeof r1.json.access_token === 'string' && typeof r1.json.id_token === 'string', 'refresh returns an access token and an ID token');
  const r1Claims = await verifyIdToken(discovery, r1.json.id_token);
  check(r1Claims.sub === 'bob' && same(r1Claims.groups, ['team-a-devs']), 'refreshed id_token carries bob\'s groups');
  check(r1Claims.email === 'bob@example.test', 'refreshed id_token still carries email');

  // Test-control: change bob's groups at the provider, as an IdP admin would.
  check(await control(issuer, 'bob', 'groups', { groups: ['team-a-devs', 'team-b-owners'] }) === 204,
    'POST /_test/users/bob/groups answers 204');
  check(await control(issuer, 'nobody', 'groups', { groups: [] }) === 404, 'groups of an unknown user answer 404');
  check(await control(issuer, 'nobody', 'end-sessions') === 404, 'end-sessions of an unknown user answer 404');
  check(await control(issuer, 'bob', 'groups', { groups: 'team-a-devs' }) === 400, 'a malformed groups body answers 400');
  {
    const res = await fetch(`${issuer}/_test/users/bob/groups`);
    await res.arrayBuffer();
    check(res.status === 405, 'GET on a test-control endpoint answers 405');
  }

  const r2 = await refresh(discovery, r1.json.refresh_token || tok.json.refresh_token, { method: 'post' });
  check(r2.status === 200, `a second refresh succeeds (${r2.status} ${r2.json.error || ''})`);
  check(same(idTokenClaims(r2.json.id_token).groups, ['team-a-devs', 'team-b-owners']),
    'refreshed id_token reflects the groups change');
  const r3 = await refresh(discovery, tok.json.refresh_token);
  check(r3.status === 200, 'the original refresh token still works (no rotation)');
  const info2 = await userinfo(discovery, r2.json.access_token);
  check(same(info2.json.groups, ['team-a-devs', 'team-b-owners']), 'userinfo reflects the groups change');

  // Replaying a code fails (and, per spec, revokes what it issued: the grant
  // is gone, with its refresh tokens, so the next flow goes through the
  // auto-consent step again).
  const reuse = await exchange(discovery, first.code, first.verifier);
  check(reuse.status === 400 && reuse.json.error === 'invalid_grant', 'authorization code cannot be reused');
  const afterReuse = await refresh(discovery, tok.json.refresh_token);
  check(afterReuse.status === 400 && afterReuse.json.error === 'invalid_grant', 'code replay revoked the refresh token too');

  // Same browser again: the op_session and the grant skip both pages.
  const second = await loginFlow(issuer, discovery, jar, { username: 'bob', password: 'bob-pw', expectLoginPage: false });
  const tok2 = await exchange(discovery, second.code, second.verifier, { method: 'post' });
  check(tok2.status === 200, `token exchange with client_secret_post (${tok2.status} ${tok2.json.error || ''})`);
  check(typeof tok2.json.refresh_token === 'string', 'the new code exchange issues a refresh token too');
  check((await refresh(discovery, tok2.json.refresh_token)).status === 200, 'the new refresh token works');

  // end-sessions: the IdP admin revokes bob's sessions.
  check(await control(issuer, 'bob', 'end-sessions') === 204, 'POST /_test/users/bob/end-sessions answers 204');
  {
    const r = await refresh(discovery, tok2.json.refresh_token);
    check(r.status === 400 && r.json.error === 'invalid_grant', `refresh after end-sessions answers invalid_grant (${r.status} ${r.json.error})`);
    const silent = await silentAuth(discovery, jar);
    check(silent.error === 'login_required' && !silent.code, `prompt=none after end-sessions answers login_required (${silent.error})`);
    const u = await userinfo(discovery, tok2.json.access_token);
    check(u.status === 401, 'access tokens die with end-sessions too');
  }

  // Bob signs in again (login page shown); his sessions can be ended again.
  const again = await loginFlow(issuer, discovery, jar, { username: 'bob', password: 'bob-pw' });
  const tok4 = await exchange(discovery, again.code, again.verifier);
  check(tok4.status === 200 && typeof tok4.json.refresh_token === 'string', 'bob signs in again after end-sessions');
  check((await refresh(discovery, tok4.json.refresh_token)).status === 200, 'the fresh refresh token works');

  await logout(discovery, jar, tok4.json.id_token);
  {
    const r = await refresh(discovery, tok4.json.refresh_token);
    check(r.status === 400 && r.json.error === 'invalid_grant', 'refresh tokens are bound to the provider session (dead after sign-out)');
  }

  // After logout the login page is shown again; alice this time.
  const third = await loginFlow(issuer, discovery, jar, { username: 'alice', password: 'alice-pw' });
  const tok3 = await exchange(discovery, third.code, third.verifier);
  const aliceClaims = idTokenClaims(tok3.json.id_token);
  check(aliceClaims.sub === 'alice' && same(aliceClaims.groups, ['platform-admins']), 'alice signs in after logout with her groups');
  // Ending bob's sessions leaves alice's (same browser, different account) alone.
  check(await control(issuer, 'bob', 'end-sessions') === 204, 'end-sessions for bob again');
  check((await refresh(discovery, tok3.json.refresh_token)).status === 200, 'alice\'s refresh token survives bob\'s end-sessions');

  // mallory: claims the demo admin's e-mail, unverified.
  {
    const { claims: c } = await signIn(issuer, discovery, 'mallory', 'mallory-pw');
    check(c.sub === 'mallory' && c.email === 'alice@demo.flotilla.test', 'mallory\'s id_token claims alice@demo.flotilla.test');
    check(c.email_verified === false, 'mallory\'s email_verified is false');
    check(c.name === 'Mallory Mimic' && same(c.groups, []), 'mallory is "Mallory Mimic" with groups []');
  }

  // erin: Entra ID group overage markers instead of groups.
  {
    const { tok: t, claims: c } = await signIn(issuer, discovery, 'erin', 'erin-pw');
    check(c.sub === 'erin' && c.email === 'erin@example.test' && c.email_verified === true && c.name === 'Erin Entra',
      'erin\'s id_token carries her profile');
    check(!('groups' in c), 'erin\'s id_token has no groups claim');
    check(same(c._claim_names, { groups: 'src1' }), `erin's id_token has _claim_names = {"groups":"src1"} (${JSON.stringify(c._claim_names)})`);
    check(c._claim_sources?.src1?.endpoint === OVERAGE_ENDPOINT, 'erin\'s id_token has _claim_sources.src1.endpoint (Graph)');
    const u = await userinfo(discovery, t.json.access_token);
    check(same(u.json._claim_names, { groups: 'src1' }) && !('groups' in u.json), 'erin\'s userinfo has the overage markers too');
  }

  await stopProvider(p);
}

// --- strict mode ------------------------------------------------------------------
async function strict() {
  label = '[strict] ';
  const p = startProvider('strict');
  const { issuer, discovery } = await configureProvider(p);
  check(!discovery.grant_types_supported?.includes('refresh_token'), 'discovery offers no refresh_token grant');
  check(discovery.claims_supported?.includes('realm_access') && !discovery.claims_supported.includes('groups'),
    'claims_supported lists realm_access, not groups');

  const jar = new Jar();
  const first = await loginFlow(issuer, discovery, jar, { username: 'bob', password: 'bob-pw' });
  const tok = await exchange(discovery, first.code, first.verifier);
  check(tok.status === 200, `token exchange succeeds (${tok.status} ${tok.json.error || ''})`);
  check(!('refresh_token' in tok.json), 'no refresh token is issued');
  const c = await verifyIdToken(discovery, tok.json.id_token);
  check(c.sub === 'bob' && c.iss === issuer && c.aud === CLIENT_ID && c.nonce === first.nonce, 'id_token carries sub and the protocol claims');
  for (const claim of ['email', 'email_verified', 'name', 'groups', 'realm_access', '_claim_names']) {
    check(!(claim in c), `id_token has no ${claim}`);
  }
  const info = await userinfo(discovery, tok.json.access_token);
  check(info.status === 200 && info.json.sub === 'bob', 'userinfo answers for bob');
  check(info.json.email === 'bob@example.test' && info.json.email_verified === true && info.json.name === 'Bob Builder',
    'userinfo has email, email_verified, name');
  check(same(info.json.realm_access, { roles: ['team-a-devs'] }), `userinfo has realm_access.roles = ["team-a-devs"] (${JSON.stringify(info.json.realm_access)})`);
  check(!('groups' in info.json), 'userinfo has no top-level groups');

  {
    const r = await tokenRequest(discovery, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'nope' }), 'basic');
    check(r.status === 400 && ['unsupported_grant_type', 'unauthorized_client'].includes(r.json.error),
      `the refresh_token grant is refused (${r.json.error})`);
  }

  check(await control(issuer, 'bob', 'groups', { groups: ['team-b-owners'] }) === 204, 'POST /_test/users/bob/groups answers 204');
  {
    const u = await userinfo(discovery, tok.json.access_token);
    check(same(u.json.realm_access, { roles: ['team-b-owners'] }), 'userinfo reflects the groups change');
  }

  // Silent re-authentication works in strict mode too.
  {
    const silent = await silentAuth(discovery, jar);
    check(Boolean(silent.code) && !silent.error, `prompt=none with a session returns a code (${silent.error || 'code'})`);
    const t = await exchange(discovery, silent.code, silent.verifier);
    check(t.status === 200 && idTokenClaims(t.json.id_token).sub === 'bob', 'the prompt=none code exchanges');
  }
  check(await control(issuer, 'bob', 'end-sessions') === 204, 'POST /_test/users/bob/end-sessions answers 204');
  {
    const silent = await silentAuth(discovery, jar);
    check(silent.error === 'login_required', `prompt=none after end-sessions answers login_required (${silent.error})`);
  }

  {
    const { tok: t, claims: mc } = await signIn(issuer, discovery, 'mallory', 'mallory-pw');
    check(!('email' in mc), 'mallory\'s id_token has no email');
    const u = await userinfo(discovery, t.json.access_token);
    check(u.json.email === 'alice@demo.flotilla.test' && u.json.email_verified === false,
      'mallory\'s userinfo: alice@demo.flotilla.test with email_verified false');
    check(u.json.name === 'Mallory Mimic' && same(u.json.realm_access, { roles: [] }), 'mallory\'s userinfo: name, realm_access.roles []');
  }
  {
    const { tok: t, claims: ec } = await signIn(issuer, discovery, 'erin', 'erin-pw');
    check(!('_claim_names' in ec) && !('_claim_sources' in ec), 'erin\'s id_token carries no overage markers (sub only)');
    const u = await userinfo(discovery, t.json.access_token);
    check(u.json.email === 'erin@example.test' && u.json.name === 'Erin Entra', 'erin\'s userinfo has her profile');
    check(same(u.json._claim_names, { realm_access: 'src1' }), `erin's userinfo has _claim_names = {"realm_access":"src1"} (${JSON.stringify(u.json._claim_names)})`);
    check(u.json._claim_sources?.src1?.endpoint === OVERAGE_ENDPOINT, 'erin\'s userinfo has _claim_sources.src1.endpoint (Graph)');
    check(!('realm_access' in u.json) && !('groups' in u.json), 'erin\'s userinfo has neither realm_access nor groups');
  }

  await stopProvider(p);
}

// --- an invalid OIDC_MODE is refused ----------------------------------------------
async function badMode() {
  label = '[bad mode] ';
  const p = startProvider('bogus');
  const ended = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r(null), 5000))]);
  check(ended !== null && ended.code === 2 && p.stdoutLines.length === 0, 'OIDC_MODE=bogus exits 2 before the ready line');
}

try {
  await lenient();
  await strict();
  await badMode();
  label = '';
  console.log(`\n${passed} passed, 0 failed`);
  process.exit(0);
} catch (err) {
  console.error(`SMOKE FAILED: ${err.stack || err}`);
  const last = providers[providers.length - 1];
  if (last && last.stderr()) console.error(`[provider stderr]\n${last.stderr().trimEnd()}`);
  for (const { child } of providers) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  console.log(`${passed} passed, 1 failed`);
  process.exit(1);
}
