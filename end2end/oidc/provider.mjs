// A real OpenID Connect provider for Flotilla's browser tests, built on
// oidc-provider. See README.md beside this file for the protocol.
//
// Startup order matters: the HTTP server binds 127.0.0.1:0 first and prints
// "OIDC provider ready <issuer>"; the relying party's redirect URIs are only
// known later, so the Provider is constructed once one line
// "client <redirect_uri> <post_logout_redirect_uri>" arrives on stdin (or at
// once from OIDC_REDIRECT_URI / OIDC_POST_LOGOUT_REDIRECT_URI). Until then
// every request is answered 503.
//
// OIDC_MODE selects how claims and tokens look (see README.md):
//   lenient (default) - ID token carries email, email_verified, name, groups;
//                       a refresh token is issued on every code exchange.
//   strict            - ID token carries only sub (plus protocol claims), the
//                       profile comes from userinfo, groups are Keycloak-style
//                       realm_access.roles, no refresh tokens.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as readline from 'node:readline';

import Provider from 'oidc-provider';

// stdout is a protocol channel (exactly the "ready" and "configured" lines);
// oidc-provider prints its NOTICEs with console.info, so route every console
// method to stderr and write protocol lines with process.stdout.write only.
for (const method of ['log', 'info', 'debug', 'trace']) {
  // eslint-disable-next-line no-console
  console[method] = (...args) => console.error(...args);
}

const HOST = '127.0.0.1';
const CLIENT_ID = 'flotilla';
const CLIENT_SECRET = 'flotilla-test-secret';
const SCOPES = ['openid', 'email', 'profile', 'groups'];
// Fixed key for the provider's signed cookies (test fixture only).
const COOKIE_KEYS = ['flotilla-e2e-op-cookie-key-3f9c1a7d5e2b4c86a0d1'];

const MODE = process.env.OIDC_MODE === undefined || process.env.OIDC_MODE === ''
  ? 'lenient'
  : process.env.OIDC_MODE;
if (MODE !== 'lenient' && MODE !== 'strict') {
  process.stderr.write(`oidc fixture: OIDC_MODE must be "lenient" or "strict", not "${MODE}"\n`);
  process.exit(2);
}
const STRICT = MODE === 'strict';
// The claim that carries the user's groups, and what the groups scope releases.
const GROUPS_CLAIM = STRICT ? 'realm_access' : 'groups';

const GRAPH_OVERAGE_ENDPOINT = 'https://graph.microsoft.com/v1.0/users/erin/getMemberObjects';

// Mutable: POST /_test/users/<login>/groups changes a user's groups.
const USERS = {
  alice: {
    password: 'alice-pw', email: 'alice@example.test', name: 'Alice Admin', groups: ['platform-admins'],
  },
  bob: {
    password: 'bob-pw', email: 'bob@example.test', name: 'Bob Builder', groups: ['team-a-devs'],
  },
  carol: {
    password: 'carol-pw', email: 'carol@example.test', name: 'Carol Owner', groups: ['team-b-owners'],
  },
  dave: {
    password: 'dave-pw', email: 'dave@example.test', name: 'Dave Newcomer', groups: [],
  },
  // Claims the demo administrator's e-mail without having verified it.
  mallory: {
    password: 'mallory-pw', email: 'alice@demo.flotilla.test', emailVerified: false, name: 'Mallory Mimic', groups: [],
  },
  // Entra ID "group overage": too many groups to list, so the token only
  // points at Microsoft Graph (_claim_names / _claim_sources) instead.
  erin: {
    password: 'erin-pw', email: 'erin@example.test', name: 'Erin Entra', groups: [], overage: true,
  },
};

function userClaims(sub, user) {
  const claims = {
    sub,
    email: user.email,
    email_verified: user.emailVerified !== false,
    name: user.name,
  };
  if (user.overage) {
    // oidc-provider releases these aggregated/distributed-claim markers for
    // every listed claim name that is itself released (here: GROUPS_CLAIM
    // under the groups scope), so they land wherever groups would.
    claims._claim_names = { [GROUPS_CLAIM]: 'src1' };
    claims._claim_sources = { src1: { endpoint: GRAPH_OVERAGE_ENDPOINT } };
  } else if (STRICT) {
    claims.realm_access = { roles: [...user.groups] };
  } else {
    claims.groups = [...user.groups];
  }
  return claims;
}

function logError(message, err) {
  const detail = err ? `: ${err && err.stack ? err.stack : err}` : '';
  process.stderr.write(`oidc fixture: ${message}${detail}\n`);
}

function escapeHtml(value) {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin-top:.75rem}
input{display:block;width:100%;box-sizing:border-box;padding:.4rem;margin-top:.25rem}
button{margin-top:1rem;padding:.5rem 1rem}
.error{color:#b00020}
</style>
</head>
<body>
${body}
</body>
</html>`;
}

function loginPage(uid, { error, login = '' } = {}) {
  const action = `/interaction/${encodeURIComponent(uid)}`;
  return page('Sign in', `<h1>Sign in to the test identity provider</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="off">
<label for="login">Username</label>
<input id="login" name="login" type="text" value="${escapeHtml(login)}" autofocus required>
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>`);
}

async function logoutSource(ctx, form) {
  // `form` is the provider's <form id="op.logoutForm"> with its xsrf field.
  ctx.type = 'html';
  ctx.body = page('Sign out', `<h1>Sign out of the test identity provider?</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = page('Signed out', '<h1>Signed out</h1><p>You have been signed out of the test identity provider.</p>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  const rows = Object.entries(out)
    .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
    .join('\n');
  ctx.body = page('Error', `<h1>Identity provider error</h1>\n${rows}`);
}

async function findAccount(_ctx, sub) {
  const user = USERS[sub];
  if (!user) return undefined;
  return {
    accountId: sub,
    async claims() {
      return userClaims(sub, user);
    },
  };
}

function rsaSigningJwk() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    ...jwk, use: 'sig', alg: 'RS256', kid: `flotilla-e2e-${crypto.randomBytes(6).toString('hex')}`,
  };
}

const sessionsByAccount = new Map(); // accountId -> Set(session id)
const grantsByAccount = new Map(); // accountId -> Set(grant id)

function track(map, accountId, id) {
  if (!map.has(accountId)) map.set(accountId, new Set());
  map.get(accountId).add(id);
}

// Sign the account out of every provider session and revoke every grant with
// its tokens, as an IdP admin's "revoke sessions" would: afterwards its
// refresh tokens answer invalid_grant and prompt=none answers login_required.
async function endSessions(accountId) {
  const { Session, Grant } = provider;
  for (const id of sessionsByAccount.get(accountId) || []) {
    const stored = await Session.adapter.find(id);
    // A session may since have been signed into another account.
    if (stored && stored.accountId === accountId) await Session.adapter.destroy(id);
  }
  sessionsByAccount.delete(accountId);
  for (const id of grantsByAccount.get(accountId) || []) {
    await Promise.all([
      provider.AccessToken.revokeByGrantId(id),
      provider.RefreshToken.revokeByGrantId(id),
      provider.AuthorizationCode.revokeByGrantId(id),
    ]);
    await Grant.adapter.destroy(id);
  }
  grantsByAccount.delete(accountId);
}

function buildProvider(issuer, redirectUri, postLogoutRedirectUri) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      client_name: 'Flotilla (end-to-end tests)',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: STRICT ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: postLogoutRedirectUri ? [postLogoutRedirectUri] : [],
      id_token_signed_response_alg: 'RS256',
    }],
    // Accept client_secret_post too, though the client is registered for basic.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: { keys: [rsaSigningJwk()] },
    responseTypes: ['code'],
    // strict: ID token carries only sub; the scope claims come from userinfo.
    conformIdTokenClaims: STRICT,
    pkce: { required: () => true },
    scopes: SCOPES,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: [GROUPS_CLAIM],
    },
    // lenient: a refresh token on every code exchange (no offline_access
    // needed). Refresh tokens stay valid after use (no rotation) and, being
    // bound to the provider session, die with it (sign-out, end-sessions).
    ...(STRICT ? {} : {
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      rotateRefreshToken: false,
    }),
    // Explicit TTLs (seconds); the defaults print a NOTICE on every use.
    ttl: {
      AccessToken: 60 * 60,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Session: 8 * 60 * 60,
      Grant: 8 * 60 * 60,
      RefreshToken: 24 * 60 * 60,
    },
    cookies: {
      names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_resume' },
      keys: COOKIE_KEYS,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    findAccount,
    renderError,
  });
  provider.on('server_error', (_ctx, err) => logError('server_error', err));
  // Remember which sessions and grants belong to whom, for end-sessions.
  provider.on('session.saved', (session) => {
    if (session.accountId) track(sessionsByAccount, session.accountId, session.jti);
  });
  provider.on('grant.saved', (grant) => {
    if (grant.accountId) track(grantsByAccount, grant.accountId, grant.jti);
  });
  return provider;
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readForm(req) {
  return new URLSearchParams(await readBody(req));
}

function sendHtml(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

// Auto-approve consent: grant whatever the consent prompt reports missing.
async function grantConsent(provider, details) {
  const { prompt, params, session } = details;
  let { grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details || {};
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const savedId = await grant.save();
  const consent = {};
  if (!grantId) {
    grantId = savedId;
    consent.grantId = grantId;
  }
  return { consent };
}

async function handleInteraction(provider, req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    sendHtml(res, 400, page('Sign-in expired', '<h1>This sign-in request has expired or is unknown.</h1><p>Start again from the application.</p>'));
    return;
  }
  if (details.uid !== uid) {
    sendHtml(res, 400, page('Sign-in mismatch', '<h1>This sign-in request does not match the current one.</h1>'));
    return;
  }
  const promptName = details.prompt.name;

  if (promptName === 'consent') {
    const result = await grantConsent(provider, details);
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    return;
  }

  if (promptName !== 'login') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: `unsupported prompt ${promptName}`,
    }, { mergeWithLastSubmission: false });
    return;
  }

  if (req.method === 'GET') {
    sendHtml(res, 200, loginPage(uid));
    return;
  }
  if (req.method !== 'POST') {
    res.statusCode = 405;
    res.setHeader('Allow', 'GET, POST');
    res.end();
    return;
  }

  const form = await readForm(req);
  const login = (form.get('login') || '').trim();
  const password = form.get('password') || '';
  const user = Object.hasOwn(USERS, login) ? USERS[login] : undefined;
  const ok = user !== undefined
    && crypto.timingSafeEqual(
      crypto.hash('sha256', password, 'buffer'),
      crypto.hash('sha256', user.password, 'buffer'),
    );
  if (!ok) {
    sendHtml(res, 200, loginPage(uid, { error: 'Wrong username or password', login }));
    return;
  }
  await provider.interactionFinished(req, res, {
    login: { accountId: login },
  }, { mergeWithLastSubmission: false });
}

function sendStatus(res, status, message) {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  if (message) {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`${message}\n`);
  } else {
    res.end();
  }
}

// Test-control endpoints: POST /_test/users/<login>/groups {"groups": [...]}
// and POST /_test/users/<login>/end-sessions.
async function handleTestControl(req, res, login, action) {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    sendStatus(res, 405, 'use POST');
    return;
  }
  const user = Object.hasOwn(USERS, login) ? USERS[login] : undefined;
  if (!user) {
    sendStatus(res, 404, `unknown user ${login}`);
    return;
  }
  if (action === 'groups') {
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      sendStatus(res, 400, 'expected a JSON body {"groups": ["..."]}');
      return;
    }
    const groups = body && body.groups;
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
      sendStatus(res, 400, 'expected a JSON body {"groups": ["..."]}');
      return;
    }
    user.groups = [...groups];
    // Explicit groups replace erin's overage markers.
    user.overage = false;
    process.stderr.write(`oidc fixture: groups of ${login} set to ${JSON.stringify(user.groups)}\n`);
    sendStatus(res, 204);
    return;
  }
  await readBody(req);
  await endSessions(login);
  process.stderr.write(`oidc fixture: ended provider sessions and grants of ${login}\n`);
  sendStatus(res, 204);
}

// ---------------------------------------------------------------------------

let provider;
let providerCallback;
let issuer;

const server = http.createServer((req, res) => {
  if (!providerCallback) {
    res.statusCode = 503;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Retry-After', '1');
    res.end('OIDC provider not configured yet\n');
    return;
  }
  const path = (req.url || '/').split('?')[0];
  const control = /^\/_test\/users\/([^/]+)\/(groups|end-sessions)\/?$/.exec(path);
  if (control) {
    let login;
    try {
      login = decodeURIComponent(control[1]);
    } catch {
      sendStatus(res, 404, 'unknown user');
      return;
    }
    handleTestControl(req, res, login, control[2]).catch((err) => {
      logError(`test control ${path} failed`, err);
      if (!res.headersSent) sendStatus(res, 500, 'test control failed');
      else res.end();
    });
    return;
  }
  const match = /^\/interaction\/([A-Za-z0-9_-]+)\/?$/.exec(path);
  if (match) {
    handleInteraction(provider, req, res, match[1]).catch((err) => {
      logError(`interaction ${req.method} failed`, err);
      if (!res.headersSent) {
        sendHtml(res, 500, page('Error', '<h1>Identity provider error</h1>'));
      } else {
        res.end();
      }
    });
    return;
  }
  providerCallback(req, res);
});
server.on('clientError', (_err, socket) => socket.destroy());

function configure(redirectUri, postLogoutRedirectUri) {
  if (provider) return;
  for (const [what, value] of [['redirect_uri', redirectUri], ['post_logout_redirect_uri', postLogoutRedirectUri]]) {
    if (value === undefined) continue;
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      logError(`invalid ${what}: ${value}`);
      process.exit(2);
    }
  }
  provider = buildProvider(issuer, redirectUri, postLogoutRedirectUri);
  providerCallback = provider.callback();
  process.stdout.write('OIDC provider configured\n');
}

let shuttingDown = false;
function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  server.close();
  server.closeAllConnections();
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));
process.on('uncaughtException', (err) => {
  logError('uncaught exception', err);
  shutdown(1);
});
process.on('unhandledRejection', (err) => {
  logError('unhandled rejection', err);
});

server.listen(0, HOST, () => {
  const { port } = server.address();
  issuer = `http://${HOST}:${port}`;
  process.stdout.write(`OIDC provider ready ${issuer}\n`);
  process.stderr.write(`oidc fixture: mode ${MODE}\n`);

  const envRedirect = process.env.OIDC_REDIRECT_URI;
  if (envRedirect) {
    configure(envRedirect, process.env.OIDC_POST_LOGOUT_REDIRECT_URI || undefined);
    // Still follow the parent's lifetime when stdin is a pipe, socket or tty;
    // ignore stdin when it is /dev/null or a file (e.g. `&` in a script).
    let watch = false;
    try {
      const st = fs.fstatSync(0);
      watch = st.isFIFO() || st.isSocket() || process.stdin.isTTY === true;
    } catch {
      watch = false;
    }
    if (watch) {
      process.stdin.on('end', () => shutdown(0));
      process.stdin.on('close', () => shutdown(0));
      process.stdin.resume();
    }
    return;
  }

  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (provider) return; // only the first line configures; later lines ignored
    const parts = line.trim().split(/\s+/);
    if (parts[0] !== 'client' || parts.length < 2 || parts.length > 3) {
      logError('expected "client <redirect_uri> <post_logout_redirect_uri>" on stdin');
      shutdown(2);
      return;
    }
    configure(parts[1], parts[2]);
  });
  rl.on('close', () => shutdown(0));
});
server.on('error', (err) => {
  logError('server error', err);
  process.exit(1);
});
