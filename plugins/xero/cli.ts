// The legacy private-app steps for headless installs (`npm run cli -- xero:…`): write the certificate,
// connect with the consumer key and secret (test connection first; exits non-zero with the reason),
// show the connection status. `--org` may be omitted when the install has one organisation.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatDay, type PluginContext } from '../../server/plugins/contract';
import { ValidationError } from '../../server/errors';
import type { XeroConfig } from './config';
import { connectionDeps } from './connection/deps';
import { certificateExpiry, ensureCertificate, regenerateCertificate, saveLegacyConnection } from './connection/legacy';
import { connectionStatus } from './connection/status';
import { registerBackfillCommand } from './backfillCli';

const ACTOR = 'cli';

function parseOrg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new ValidationError([{ path: 'org', message: `must be an organisation id (a whole number), got "${value}"` }], 'Which organisation?');
  return id;
}

// The one date style, in the organisation's time zone (was ISO text in UTC).
type Zoned = { timeZone: string };
const dayIn = (org: Zoned, ms: number): string => formatDay(ms, org.timeZone);
const timeIn = (ctx: Pick<PluginContext<XeroConfig>, 'pages'>, org: Zoned, ms: number | null): string => (ms === null ? 'never' : ctx.pages.formatDateTime(ms, org.timeZone));

/** `out` receives each line printed (console.log by default; tests capture it). */
export function registerXeroCommands(
  program: Command,
  context: () => Promise<PluginContext<XeroConfig>>,
  out: (line: string) => void = (line) => console.log(line),
): void {
  program
    .command('xero:cert')
    .description("Write the organisation's X509 certificate (PEM) for a Xero private app; creates it on first use.")
    .option('--org <id>', 'organisation id (optional when there is one)')
    .requiredOption('--out <file>', 'where to write the .cer file')
    .option('--regenerate', 'retire the current certificate and create a new one (the Xero app must then be updated)')
    .action(async (opts: { org?: string; out: string; regenerate?: boolean }) => {
      const ctx = await context();
      const org = await ctx.organisations.resolve(ctx.db, parseOrg(opts.org));
      const deps = connectionDeps(ctx);
      const certificate = opts.regenerate
        ? await regenerateCertificate(deps, org.id, ACTOR)
        : (await ensureCertificate(deps, org.id, ACTOR)).certificate;
      const path = resolve(opts.out);
      writeFileSync(path, certificate.certificatePem); // public: only the certificate, never the key
      out(`Wrote the certificate of ${org.name} to ${path}`);
      out(`SHA-1 fingerprint ${certificate.fingerprintSha1}, expires ${dayIn(org, certificate.notAfter)}`);
      if (opts.regenerate) out('This is a new certificate: upload it to the private app in Xero, then run xero:connect-legacy again.');
      else out("Upload it to a private app in Xero's developer portal, then run xero:connect-legacy with its consumer key and secret.");
    });

  program
    .command('xero:connect-legacy')
    .description('Connect a Xero private app: tests the connection (GET Organisation) and saves it only if it passes.')
    .option('--org <id>', 'organisation id (optional when there is one)')
    .requiredOption('--consumer-key <key>', "the private app's consumer key")
    .requiredOption('--consumer-secret <secret>', "the private app's consumer secret (stored sealed)")
    .action(async (opts: { org?: string; consumerKey: string; consumerSecret: string }) => {
      const ctx = await context();
      const org = await ctx.organisations.resolve(ctx.db, parseOrg(opts.org));
      // Throws ValidationError or XeroConnectionTestError (an AppError): the CLI prints the reason, exits 1.
      const { organisation } = await saveLegacyConnection(connectionDeps(ctx), {
        orgId: org.id,
        consumerKey: opts.consumerKey,
        consumerSecret: opts.consumerSecret,
        actor: ACTOR,
      });
      out(`Connected ${org.name} to ${organisation.name} (tenant ${organisation.tenantId}) as a private app: the test connection passed.`);
    });

  program
    .command('xero:status')
    .description('Show the Xero connection: mode, organisation, expiry dates, last successful call, rate-limit headroom.')
    .option('--org <id>', 'organisation id (optional when there is one)')
    .action(async (opts: { org?: string }) => {
      const ctx = await context();
      const org = await ctx.organisations.resolve(ctx.db, parseOrg(opts.org));
      const status = await connectionStatus(connectionDeps(ctx), org.id);
      const live = status.live;
      out(`Organisation: ${org.name} (#${org.id})`);
      if (!live) out('Xero: not connected');
      else {
        out(`Xero: ${live.statusLabel}${live.organisationName ? ` to ${live.organisationName}` : ''}`);
        out(`Mode: ${live.modeLabel}`);
        if (live.tenantId) out(`Tenant: ${live.tenantId}${live.tenantCurrency ? ` (${live.tenantCurrency})` : ''}`);
        if (live.scopes.length) out(`Scopes: ${live.scopes.join(' ')}`);
        if (live.accessTokenExpiresAt) out(`Access token expires: ${timeIn(ctx, org, live.accessTokenExpiresAt)}`);
        out(`Last successful call: ${timeIn(ctx, org, live.lastSuccessAt)}`);
        const h = live.rateHeadroom;
        out(h ? `Rate-limit headroom: ${h.minuteRemaining ?? '?'} this minute, ${h.dayRemaining ?? '?'} today, app ${h.appMinuteRemaining ?? '?'} this minute (as of ${timeIn(ctx, org, h.reportedAt)})` : 'Rate-limit headroom: not reported yet');
        if (live.lastError) out(`Last error: ${live.lastError}`);
      }
      const cert = status.certificate;
      if (cert) {
        const expiry = certificateExpiry(cert.notAfter, ctx.clock.now());
        const warning = expiry.state === 'expired' ? ' — EXPIRED: regenerate it (xero:cert --regenerate)' : expiry.state === 'expiring' ? ` — expires in ${expiry.daysLeft} days: regenerate it soon` : '';
        out(`Certificate expires: ${dayIn(org, cert.notAfter)} (fingerprint ${cert.fingerprintSha1})${warning}`);
      } else out('Certificate: none yet (xero:cert creates it)');
      if (status.history.length) out(`Earlier connections: ${status.history.length}`);
    });

  registerBackfillCommand(program, context, { out });
}
