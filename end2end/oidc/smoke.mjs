// Smoke test for provider.mjs: starts it as a child, speaks the stdin
// protocol, and runs a full authorization code + PKCE flow with plain fetch.
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

let passed = 0;
function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
  passed += 1;
  console.log(`ok - ${message}`);
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const decodeJwtPart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

// --- a minimal path-aware cookie jar ---------------------------------------
class Jar {
  constructor() { this.cookies = new Map(); } // key name|path -> {name, value, path}

  store(res, url) {
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
      void url;
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
  jar.store(res, url);
  return res;
}

// --- start the provider -----------------------------------------------------
const child = spawn(process.execPath, [path.join(HERE, 'provider.mjs')], {
  stdio: ['pipe', 'pipe', 'pipe'],
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

async function loginFlow(issuer, discovery, jar, { username, password, expectLoginPage = true }) {
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
  }).toString();

  let url = auth.toString();
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
  check(callback.searchParams.get('state') === state, 'callback carries the state');
  check(callback.searchParams.get('iss') === issuer, 'callback carries iss = issuer (RFC 9207)');
  const code = callback.searchParams.get('code');
  check(Boolean(code), 'callback carries a code');
  return {
    code, verifier, nonce, state,
  };
}

async function exchange(discovery, code, verifier, { method = 'basic' } = {}) {
  const body = new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (method === 'basic') {
    const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
    headers.authorization = `Basic ${basic}`;
  } else {
    body.set('client_id', CLIENT_ID);
    body.set('client_secret', CLIENT_SECRET);
  }
  const res = await fetch(discovery.token_endpoint, { method: 'POST', headers, body });
  const json = await res.json();
  return { status: res.status, json };
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

async function main() {
  const ready = await waitForLine(/^OIDC provider ready /);
  const m = /^OIDC provider ready (http:\/\/127\.0\.0\.1:(\d+))$/.exec(ready);
  check(Boolean(m), `ready line has the exact form (${ready})`);
  const issuer = m[1];

  const early = await fetch(`${issuer}/.well-known/openid-configuration`);
  await early.arrayBuffer();
  check(early.status === 503, 'requests before configuration get 503');

  child.stdin.write(`client ${REDIRECT_URI} ${POST_LOGOUT_REDIRECT_URI}\n`);
  await waitForLine(/^OIDC provider configured$/);
  check(stdoutLines.length === 2, 'stdout has exactly the ready and configured lines');

  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  check(discovery.issuer === issuer, 'discovery issuer matches');
  for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'end_session_endpoint', 'userinfo_endpoint']) {
    check(typeof discovery[key] === 'string' && discovery[key].startsWith(`${issuer}/`), `discovery has ${key}`);
  }
  check(discovery.code_challenge_methods_supported?.includes('S256'), 'S256 PKCE supported');
  check(discovery.id_token_signing_alg_values_supported?.includes('RS256'), 'RS256 id_token signing supported');

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
  const claims = await verifyIdToken(discovery, tok.json.id_token);
  check(claims.iss === issuer, 'id_token iss');
  check(claims.aud === CLIENT_ID, 'id_token aud');
  check(claims.sub === 'bob', 'id_token sub = bob');
  check(claims.nonce === first.nonce, 'id_token nonce matches');
  check(claims.email === 'bob@example.test', 'id_token email');
  check(claims.email_verified === true, 'id_token email_verified');
  check(claims.name === 'Bob Builder', 'id_token name');
  check(JSON.stringify(claims.groups) === JSON.stringify(['team-a-devs']), 'id_token groups = ["team-a-devs"]');

  const userinfo = await (await fetch(discovery.userinfo_endpoint, {
    headers: { authorization: `Bearer ${tok.json.access_token}` },
  })).json();
  check(userinfo.sub === 'bob' && userinfo.email === 'bob@example.test', 'userinfo answers for bob');

  // Replaying a code fails (and, per spec, revokes what it issued: the grant
  // is gone, so the next flow goes through the auto-consent step again).
  const reuse = await exchange(discovery, first.code, first.verifier);
  check(reuse.status === 400 && reuse.json.error === 'invalid_grant', 'authorization code cannot be reused');

  // Same browser again: the op_session and the grant skip both pages.
  const second = await loginFlow(issuer, discovery, jar, { username: 'bob', password: 'bob-pw', expectLoginPage: false });
  const tok2 = await exchange(discovery, second.code, second.verifier, { method: 'post' });
  check(tok2.status === 200, `token exchange with client_secret_post (${tok2.status} ${tok2.json.error || ''})`);

  // RP-initiated logout.
  {
    const u = new URL(discovery.end_session_endpoint);
    u.search = new URLSearchParams({
      id_token_hint: tok.json.id_token, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: 'bye',
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
    let loc = post.headers.get('location') || '';
    check(post.status === 303 && loc.startsWith(POST_LOGOUT_REDIRECT_URI) && new URL(loc).searchParams.get('state') === 'bye',
      `logout redirects to post_logout_redirect_uri (${loc})`);
    check(!jar.names().includes('op_session'), 'logout cleared op_session');
  }

  // After logout the login page is shown again; alice this time.
  const third = await loginFlow(issuer, discovery, jar, { username: 'alice', password: 'alice-pw' });
  const tok3 = await exchange(discovery, third.code, third.verifier);
  const aliceClaims = decodeJwtPart(tok3.json.id_token.split('.')[1]);
  check(aliceClaims.sub === 'alice' && JSON.stringify(aliceClaims.groups) === '["platform-admins"]', 'alice signs in after logout with her groups');

  check(stdoutLines.length === 2, 'stdout still holds only the two protocol lines');

  // Closing stdin ends the provider.
  child.stdin.end();
  const ended = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 5000))]);
  check(ended !== null && ended.code === 0, 'provider exits 0 when stdin closes');
}

try {
  await main();
  console.log(`\n${passed} passed, 0 failed`);
  const err = Buffer.concat(stderrChunks).toString();
  if (err.trim()) console.log(`[provider stderr]\n${err.trimEnd()}`);
  process.exit(0);
} catch (err) {
  console.error(`SMOKE FAILED: ${err.stack || err}`);
  const stderr = Buffer.concat(stderrChunks).toString();
  if (stderr) console.error(`[provider stderr]\n${stderr}`);
  console.log(`${passed} passed, 1 failed`);
  child.kill('SIGTERM');
  process.exit(1);
}
