// A real OpenID Connect provider for Flotilla's browser tests, built on
// oidc-provider. See README.md beside this file for the protocol.
//
// Startup order matters: the HTTP server binds 127.0.0.1:0 first and prints
// "OIDC provider ready <issuer>"; the relying party's redirect URIs are only
// known later, so the Provider is constructed once one line
// "client <redirect_uri> <post_logout_redirect_uri>" arrives on stdin (or at
// once from OIDC_REDIRECT_URI / OIDC_POST_LOGOUT_REDIRECT_URI). Until then
// every request is answered 503.

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
};

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
      return {
        sub,
        email: user.email,
        email_verified: true,
        name: user.name,
        groups: [...user.groups],
      };
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

function buildProvider(issuer, redirectUri, postLogoutRedirectUri) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      client_name: 'Flotilla (end-to-end tests)',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: postLogoutRedirectUri ? [postLogoutRedirectUri] : [],
      id_token_signed_response_alg: 'RS256',
    }],
    // Accept client_secret_post too, though the client is registered for basic.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: { keys: [rsaSigningJwk()] },
    responseTypes: ['code'],
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    scopes: SCOPES,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
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
  return provider;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
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
