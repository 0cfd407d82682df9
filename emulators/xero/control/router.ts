// The control API under /_emulator: JSON routes tests and the demo use to set the emulator up and
// steer it (reset, organisations, apps, users, consent without HTML, the clock, faults, the call log,
// limits). It is not part of Xero and can be switched off.
import express, { type Request, type Response, type Router } from 'express';
import type { AccountingModule } from '../contracts';
import type { EmulatorClock } from '../clock';
import { RegistrationError } from '../identity/apps';
import {
  AuthorizeError,
  issueAuthorizationCode,
  redirectWithCode,
  redirectWithError,
  validateAuthorizationRequest,
} from '../identity/authorization';
import type { Identity } from '../identity/index';
import type { EmulatedApp } from '../identity/state';
import { CertificateError } from '../oauth1/certificate';
import { mergeLimits, type LimitsConfig } from '../limits/config';
import type { CallLog } from './callLog';
import type { FaultInjector } from './faults';

export interface ControlDeps {
  accounting: AccountingModule;
  identity: Identity;
  clock: EmulatorClock;
  faults: FaultInjector;
  callLog: CallLog;
  limits: { get(): LimitsConfig; set(next: LimitsConfig): void };
  /** Clears rate windows, nonces, idempotency records, faults and the call log too. */
  resetAll(): void;
}

class BadInput extends Error {}

export function controlRouter(deps: ControlDeps): Router {
  const { accounting, identity, clock, faults, callLog, limits } = deps;
  const router = express.Router();
  router.use(express.json({ limit: '5mb' }));

  router.post('/reset', (_req, res) => {
    deps.resetAll();
    res.json({ ok: true, tenants: accounting.listTenants() });
  });

  router.post('/organisations', (req, res) => {
    const body = objectBody(req);
    const name = requiredString(body, 'name');
    const baseCurrency = requiredString(body, 'baseCurrency');
    const countryCode = optionalString(body, 'countryCode');
    res.status(201).json(accounting.createOrganisation({ name, baseCurrency, ...(countryCode ? { countryCode } : {}) }));
  });

  router.get('/apps', (_req, res) => res.json(identity.apps.list().map(describeApp)));

  router.post('/apps', (req, res) => {
    const body = objectBody(req);
    const name = optionalString(body, 'name');
    const tenantId = optionalString(body, 'tenantId');
    const organisationName = optionalString(body, 'organisationName');
    switch (body.type) {
      case 'private': {
        const app = identity.apps.registerPrivate({ name, certificate: requiredString(body, 'certificatePem'), tenantId, organisationName });
        res.status(201).json({ consumerKey: app.id, consumerSecret: app.consumerSecret, tenantId: app.tenantId, name: app.name });
        return;
      }
      case 'oauth2': {
        const redirectUris = body.redirectUris;
        if (!Array.isArray(redirectUris) || !redirectUris.every((u) => typeof u === 'string')) {
          throw new BadInput('redirectUris must be an array of URLs');
        }
        const app = identity.apps.registerOAuth2({ name, redirectUris, isPublic: body.public === true });
        res.status(201).json({ clientId: app.id, clientSecret: app.clientSecret || null, redirectUris: app.redirectUris, name: app.name });
        return;
      }
      case 'custom': {
        const scopes = body.scopes === undefined ? undefined : stringList(body.scopes, 'scopes');
        const app = identity.apps.registerCustom({ name, tenantId, organisationName, ...(scopes ? { scopes } : {}) });
        res.status(201).json({ clientId: app.id, clientSecret: app.clientSecret, tenantId: app.tenantId, scopes: app.scopes, name: app.name });
        return;
      }
      default:
        throw new BadInput("type must be 'private', 'oauth2' or 'custom'");
    }
  });

  router.get('/users', (_req, res) => res.json(identity.users.list().map(({ password: _p, ...user }) => user)));

  router.post('/users', (req, res) => {
    const body = objectBody(req);
    const user = identity.users.add({
      email: requiredString(body, 'email'),
      password: requiredString(body, 'password'),
      ...(optionalString(body, 'givenName') ? { givenName: optionalString(body, 'givenName') } : {}),
      ...(optionalString(body, 'familyName') ? { familyName: optionalString(body, 'familyName') } : {}),
    });
    const { password: _p, ...visible } = user;
    res.status(201).json(visible);
  });

  // What the login + consent pages do, without HTML: returns the code the redirect would carry.
  router.post('/consent', (req, res) => {
    const body = objectBody(req);
    const request = validateAuthorizationRequest(identity.apps, {
      response_type: 'code',
      client_id: body.clientId,
      redirect_uri: body.redirectUri,
      scope: body.scope,
      state: body.state,
      nonce: body.nonce,
      code_challenge: body.codeChallenge,
      code_challenge_method: body.codeChallengeMethod ?? (body.codeChallenge !== undefined ? 'S256' : undefined),
    });
    const back = { uri: request.redirectUri, ...(request.state !== undefined ? { state: request.state } : {}) };
    if (body.deny === true) {
      res.json({ redirectUrl: redirectWithError(back, 'access_denied', 'The user denied access'), error: 'access_denied', state: request.state ?? null });
      return;
    }
    const email = optionalString(body, 'userEmail');
    const user = email ? identity.users.list().find((u) => u.email.toLowerCase() === email.toLowerCase()) : identity.users.defaultUser();
    if (!user) throw new BadInput(`No emulated user has email ${email}`);
    const tenantIds = body.tenantIds === undefined ? accounting.listTenants().map((t) => t.tenantId) : stringList(body.tenantIds, 'tenantIds');
    const code = issueAuthorizationCode({ state: identity.state, clock, tenants: accounting }, request, { userId: user.id, tenantIds });
    res.json({ code: code.code, state: request.state ?? null, redirectUrl: redirectWithCode(request, code.code), userId: user.id, tenantIds: code.tenantIds });
  });

  router.get('/clock', (_req, res) => res.json(clockView(clock)));

  router.post('/clock', (req, res) => {
    const body = objectBody(req);
    if (typeof body.speed !== 'number') throw new BadInput('speed must be a number ≥ 0');
    clock.setSpeed(body.speed);
    res.json(clockView(clock));
  });

  router.post('/clock/advance', (req, res) => {
    const body = objectBody(req);
    if (typeof body.ms !== 'number') throw new BadInput('ms must be a number ≥ 0');
    clock.advance(body.ms);
    res.json(clockView(clock));
  });

  router.use(faults.stallRoutes());
  router.use(faults.controlRoutes());

  router.get('/calls', (req, res) => {
    const since = typeof req.query.since === 'string' ? req.query.since : undefined;
    res.json(callLog.list(since));
  });
  router.delete('/calls', (_req, res) => {
    callLog.clear();
    res.status(204).end();
  });

  router.get('/limits', (_req, res) => res.json(limits.get()));
  router.post('/limits', (req, res) => {
    limits.set(mergeLimits(limits.get(), objectBody(req)));
    res.json(limits.get());
  });

  // Accounting's own control routes (records, void/delete as an accountant would) sit alongside.
  router.use(accounting.controlRouter);

  router.use((err: unknown, _req: Request, res: Response, next: (err?: unknown) => void) => {
    if (res.headersSent) return next(err);
    if (err instanceof AuthorizeError) {
      return res.status(400).json({ error: { code: err.error, message: err.description } });
    }
    if (err instanceof BadInput || err instanceof RegistrationError || err instanceof CertificateError || err instanceof TypeError || err instanceof RangeError) {
      return res.status(400).json({ error: { code: 'BAD_REQUEST', message: err.message } });
    }
    if (isBodyParserError(err)) return res.status(400).json({ error: { code: 'BAD_JSON', message: 'The body is not valid JSON' } });
    next(err);
  });

  return router;
}

function describeApp(app: EmulatedApp): Record<string, unknown> {
  switch (app.kind) {
    case 'private':
      return { type: 'private', consumerKey: app.id, consumerSecret: app.consumerSecret, tenantId: app.tenantId, name: app.name };
    case 'oauth2':
      return { type: 'oauth2', clientId: app.id, clientSecret: app.clientSecret || null, redirectUris: app.redirectUris, name: app.name };
    case 'custom':
      return { type: 'custom', clientId: app.id, clientSecret: app.clientSecret, tenantId: app.tenantId, scopes: app.scopes, name: app.name };
  }
}

function clockView(clock: EmulatorClock): { now: number; iso: string; speed: number } {
  const now = clock.now();
  return { now, iso: new Date(now).toISOString(), speed: clock.speed };
}

function objectBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadInput('The body must be a JSON object');
  return body as Record<string, unknown>;
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value.trim() === '') throw new BadInput(`${key} is required (a string)`);
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadInput(`${key} must be a string`);
  return value;
}

function stringList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new BadInput(`${key} must be an array of strings`);
  return value;
}

function isBodyParserError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'entity.parse.failed';
}
