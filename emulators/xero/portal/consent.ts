// The login and consent pages behind GET /connect/authorize: sign in as an emulated Xero user, tick
// the organisations to connect, Allow or Deny. The half-finished authorisation lives in a short-lived
// interaction record named by a hidden form field, so no cookies are needed.
import express, { type Response, type Router } from 'express';
import type { Clock } from '../contracts';
import type { TenantDirectory } from '../identity/apps';
import {
  AuthorizeError,
  issueAuthorizationCode,
  redirectWithCode,
  redirectWithError,
  validateAuthorizationRequest,
  type AuthorizationRequest,
} from '../identity/authorization';
import type { Identity } from '../identity/index';
import { newOpaqueToken } from '../identity/ids';
import { LOGIN_INTERACTION_TTL_MS } from '../identity/lifetimes';
import { needsTenant, SCOPE_DESCRIPTIONS } from '../identity/scopes';
import { DEFAULT_USER } from '../identity/state';
import { errorBox, html, page } from './html';

interface Interaction {
  id: string;
  request: AuthorizationRequest;
  userId?: string;
  expiresAt: number;
}

export function consentRouter(deps: { identity: Identity; tenants: TenantDirectory; clock: Clock }): Router {
  const { identity, tenants, clock } = deps;
  const router = express.Router();
  const interactions = new Map<string, Interaction>();

  const take = (id: unknown): Interaction | undefined => {
    const now = clock.now();
    for (const [key, value] of interactions) if (value.expiresAt < now) interactions.delete(key);
    return typeof id === 'string' ? interactions.get(id) : undefined;
  };

  router.get('/connect/authorize', (req, res) => {
    let request: AuthorizationRequest;
    try {
      request = validateAuthorizationRequest(identity.apps, req.query as Record<string, unknown>);
    } catch (err) {
      if (err instanceof AuthorizeError) return refuse(res, err);
      throw err;
    }
    const interaction: Interaction = { id: newOpaqueToken(), request, expiresAt: clock.now() + LOGIN_INTERACTION_TTL_MS };
    interactions.set(interaction.id, interaction);
    res.type('html').send(loginPage(interaction));
  });

  router.post('/connect/authorize/login', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const interaction = take(body.interaction);
    if (!interaction) return res.status(400).type('html').send(expiredPage());
    const user = identity.users.login(String(body.email ?? ''), String(body.password ?? ''));
    if (!user) return res.status(401).type('html').send(loginPage(interaction, 'Your email or password is incorrect'));
    interaction.userId = user.id;
    res.type('html').send(consentPage(interaction, tenants));
  });

  router.post('/connect/authorize/consent', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const interaction = take(body.interaction);
    if (!interaction?.userId) return res.status(400).type('html').send(expiredPage());
    const { request } = interaction;
    const back = { uri: request.redirectUri, ...(request.state !== undefined ? { state: request.state } : {}) };
    if (body.decision !== 'allow') {
      interactions.delete(interaction.id);
      return res.redirect(302, redirectWithError(back, 'access_denied', 'The user denied access'));
    }
    const picked = body.tenantId === undefined ? [] : Array.isArray(body.tenantId) ? body.tenantId.map(String) : [String(body.tenantId)];
    try {
      const code = issueAuthorizationCode({ state: identity.state, clock, tenants }, request, { userId: interaction.userId, tenantIds: picked });
      interactions.delete(interaction.id);
      res.redirect(302, redirectWithCode(request, code.code));
    } catch (err) {
      if (!(err instanceof AuthorizeError)) throw err;
      res.status(400).type('html').send(consentPage(interaction, tenants, err.description));
    }
  });

  return router;
}

function refuse(res: Response, err: AuthorizeError): void {
  if (err.redirectTo) {
    res.redirect(302, redirectWithError(err.redirectTo, err.error, err.description));
    return;
  }
  res
    .status(400)
    .type('html')
    .send(page('Sorry, something went wrong', html`${errorBox(`${err.error}: ${err.description}`)}`, { heading: 'Login' }));
}

function expiredPage(): string {
  return page('This sign-in has expired', html`${errorBox('Start again from the app you were connecting.')}`, { heading: 'Login' });
}

function loginPage(interaction: Interaction, error?: string): string {
  return page(
    'Log in to Xero',
    html`${errorBox(error)}
<p>Connecting <strong>${interaction.request.app.name}</strong>.</p>
<form method="post" action="/connect/authorize/login" id="login-form">
  <input type="hidden" name="interaction" value="${interaction.id}">
  <label for="email">Email address</label>
  <input type="email" id="email" name="email" autocomplete="username" required>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <button type="submit" id="login">Log in</button>
</form>
<p><small>Emulator user: <code>${DEFAULT_USER.email}</code> / <code>${DEFAULT_USER.password}</code></small></p>`,
    { heading: 'Login' },
  );
}

function consentPage(interaction: Interaction, tenants: TenantDirectory, error?: string): string {
  const { request } = interaction;
  // Each scope as Xero describes it, then its name (identity/scopes.ts SCOPE_DESCRIPTIONS).
  const scopes = request.scopes.map((s) => html`<li>${SCOPE_DESCRIPTIONS[s] ?? s} <code>${s}</code></li>`);
  const organisations = needsTenant(request.scopes)
    ? html`<fieldset id="organisations"><legend>Organisations to connect</legend>
${tenants.listTenants().map(
  (t) => html`<div class="check"><input type="checkbox" name="tenantId" value="${t.tenantId}" id="tenant-${t.tenantId}"><label for="tenant-${t.tenantId}">${t.name}</label></div>`,
)}
</fieldset>`
    : html``;
  return page(
    `${request.app.name} wants to access your Xero data`,
    html`${errorBox(error)}
<form method="post" action="/connect/authorize/consent" id="consent-form">
  <input type="hidden" name="interaction" value="${interaction.id}">
  <p>This app will be able to:</p>
  <ul id="scopes">${scopes}</ul>
  ${organisations}
  <button type="submit" name="decision" value="allow" id="allow">Allow access</button>
  <button type="submit" name="decision" value="deny" id="deny" class="secondary">Cancel</button>
</form>`,
    { heading: 'Consent' },
  );
}
