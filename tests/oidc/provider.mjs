// An OpenID provider for the node's sign-in tests: the npm package oidc-provider (9.x), with a few
// test users and their groups, one client (the node), and two users whose ID tokens are spoilt on
// the way out so that the node's checks can be seen to refuse them.
//
//   node provider.mjs <port> <client.json>
//
// client.json: {"client_id", "client_secret", "redirect_uris": [...], "post_logout_redirect_uris": [...]}
// Prints "ready <issuer>" on stdout once it listens on 127.0.0.1:<port>.
import { readFileSync } from 'node:fs';
import { CompactSign, exportJWK, generateKeyPair, importJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const client = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

// login -> the account: its subject, its name and its groups (the claim "groups").
const USERS = {
  jan: { sub: 'medewerker-0001', name: 'Jan de Vries', groups: ['HIT-Coordinatoren', 'Alle-Medewerkers'] },
  piet: { sub: 'medewerker-0002', name: 'Piet Bakker', groups: ['Alle-Medewerkers'] },
  // Its ID token leaves with changed claims and the old signature: as if someone altered it.
  vervalst: { sub: 'medewerker-0003', name: 'Vera Vals', groups: ['Alle-Medewerkers'] },
  // Its ID token is validly signed but expired five minutes before it was issued.
  verlopen: { sub: 'medewerker-0004', name: 'Vincent Laat', groups: ['HIT-Coordinatoren'] },
};
const BY_SUB = Object.fromEntries(Object.values(USERS).map((u) => [u.sub, u]));

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', use: 'sig', alg: 'RS256' };
const signingKey = await importJWK(jwk, 'RS256');

const provider = new Provider(issuer, {
  clients: [{
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'groups'],
  claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
  // The groups go into the ID token itself, as Entra ID's and Keycloak's group claims do.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // A plain form that a test can post without a browser.
      logoutSource: async (ctx, form) => {
        ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Sign out</title></head><body>${form}
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button></body></html>`;
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => {
    const user = BY_SUB[sub];
    if (!user) return undefined;
    return { accountId: sub, claims: async () => ({ sub, name: user.name, groups: user.groups }) };
  },
  // The node is the organisation's own application: no consent screen, as an administrator
  // registering it would arrange.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile groups');
    await grant.save();
    return grant;
  },
  ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
});
provider.proxy = false;

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// The sign-in page: a user name, nothing else (the tests are about the node, not passwords).
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!m) {
    await next();
    // Spoil the ID tokens of the two special users on their way to the node.
    if (ctx.path === '/token' && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token) {
      const [header, payload, signature] = ctx.body.id_token.split('.');
      const claims = b64json(payload);
      if (claims.sub === USERS.vervalst.sub) {
        claims.groups = ['HIT-Coordinatoren'];
        const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
        ctx.body = { ...ctx.body, id_token: `${header}.${forged}.${signature}` };
      } else if (claims.sub === USERS.verlopen.sub) {
        const now = Math.floor(Date.now() / 1000);
        claims.iat = now - 900;
        claims.exp = now - 300;
        const jws = await new CompactSign(Buffer.from(JSON.stringify(claims)))
          .setProtectedHeader(b64json(header))
          .sign(signingKey);
        ctx.body = { ...ctx.body, id_token: jws };
      }
    }
    return;
  }
  const uid = m[1];
  if (ctx.method === 'GET' && !m[2]) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="nl"><head><title>Aanmelden bij de testorganisatie</title></head><body>
      <h1>Aanmelden bij de testorganisatie</h1>
      <form method="post" action="/interaction/${details.uid}/login">
        <label for="login">Gebruiker</label><input id="login" name="login" autocomplete="off">
        <button type="submit">Inloggen</button>
      </form></body></html>`;
    return;
  }
  if (ctx.method === 'POST' && m[2]) {
    const raw = await new Promise((resolve) => {
      let data = '';
      ctx.req.on('data', (chunk) => { data += chunk; });
      ctx.req.on('end', () => resolve(data));
    });
    const login = new URLSearchParams(raw).get('login') || '';
    const user = USERS[login];
    const result = user
      ? { login: { accountId: user.sub } }
      : { error: 'access_denied', error_description: 'unknown test user' };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.respond = false;
    return;
  }
  ctx.status = 404;
  void uid;
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
