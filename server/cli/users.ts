// CLI commands for organisations, users and API tokens (headless installs, first admin, automation).
// Errors are thrown; server/cli.ts prints them and exits non-zero.
import type { Command } from 'commander';
import type { AppConfig } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import { NotFoundError, ValidationError } from '../errors';
import { ROLES } from '../auth/principal';
import { createOrganisation, listOrganisations, resolveOrganisation, type Organisation } from '../domain/organisations';
import { createUser, findUserByEmail, listUsers } from '../auth/users';
import { resetTwoFactor } from '../auth/twoFactor/store';
import { createApiToken, revokeApiToken } from '../auth/apiTokens';

export interface UserCliDeps {
  db: Db;
  logger: Logger;
  config: AppConfig;
}

export interface CliIo {
  /** One line to stdout. */
  out(line: string): void;
  /** The password: from stdin when piped, else prompted without echo on a terminal. */
  readPassword(prompt: string): Promise<string>;
}

export const DEFAULT_ORG_NAME = 'My business';

function parseId(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,12}$/.test(value) || Number(value) < 1) {
    throw new ValidationError([{ path: what, message: `must be a positive whole number, got "${value}"` }], `Invalid --${what}`);
  }
  return Number(value);
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd());
}

export function registerUserCommands(program: Command, getDeps: () => Promise<UserCliDeps>, io: CliIo = processIo()): void {
  const roleHelp = `one of ${ROLES.join(', ')}`;

  program
    .command('org:create')
    .description('Create an organisation (a business with its own users, sales and Xero connection).')
    .requiredOption('--name <name>', 'the business name')
    .option('--currency <code>', 'base currency (ISO 4217)', 'GBP')
    .option('--timezone <tz>', 'IANA time zone, used for "today" and scheduled syncs', 'Europe/London')
    .action(async (opts: { name: string; currency: string; timezone: string }) => {
      const { db } = await getDeps();
      const org = await createOrganisation(db, { name: opts.name, baseCurrency: opts.currency, timezone: opts.timezone });
      io.out(`Created organisation ${org.id} "${org.name}" (${org.baseCurrency}, ${org.timezone}).`);
    });

  program
    .command('org:list')
    .description('List organisations.')
    .action(async () => {
      const { db } = await getDeps();
      const orgs = await listOrganisations(db);
      if (orgs.length === 0) return io.out('No organisations yet: create one with org:create (or user:create makes one).');
      for (const line of table([['ID', 'NAME', 'CURRENCY', 'TIMEZONE'], ...orgs.map((o) => [String(o.id), o.name, o.baseCurrency, o.timezone])])) io.out(line);
    });

  program
    .command('user:create')
    .description('Create a user. The password is read from stdin when piped (echo "…" | npm run cli -- user:create …), else prompted.')
    .requiredOption('--role <role>', roleHelp)
    .requiredOption('--email <email>', 'login email')
    .option('--name <name>', 'display name (default: the part of the email before @)')
    .option('--org <id>', 'organisation id (may be omitted when there is one organisation)')
    .option('--org-name <name>', `name of the organisation to create when none exists yet`, DEFAULT_ORG_NAME)
    .action(async (opts: { role: string; email: string; name?: string; org?: string; orgName: string }) => {
      const { db } = await getDeps();
      const orgId = parseId(opts.org, 'org');
      // Validate what we can before asking for a password.
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new ValidationError([{ path: 'role', message: `must be ${roleHelp}` }], 'Invalid --role');
      const password = await io.readPassword(`Password for ${opts.email}: `);
      // One transaction: an organisation made for this user disappears again if the user cannot be created.
      const { org, user, createdOrg } = await db.transaction(async (trx) => {
        const createOrg = orgId === undefined && (await listOrganisations(trx)).length === 0;
        const org: Organisation = createOrg ? await createOrganisation(trx, { name: opts.orgName }) : await resolveOrganisation(trx, orgId);
        const user = await createUser(trx, { orgId: org.id, email: opts.email, name: opts.name, role: opts.role, password });
        return { org, user, createdOrg: createOrg };
      });
      if (createdOrg) io.out(`Created organisation ${org.id} "${org.name}" (${org.baseCurrency}, ${org.timezone}).`);
      io.out(`Created user ${user.id} ${user.email} (${user.role}) in organisation ${org.id} "${org.name}".`);
    });

  program
    .command('user:list')
    .description('List the users of an organisation.')
    .option('--org <id>', 'organisation id (may be omitted when there is one organisation)')
    .action(async (opts: { org?: string }) => {
      const { db } = await getDeps();
      const org = await resolveOrganisation(db, parseId(opts.org, 'org'));
      const users = await listUsers(db, org.id);
      if (users.length === 0) return io.out(`Organisation ${org.id} "${org.name}" has no users yet.`);
      const rows = users.map((u) => [String(u.id), u.email, u.name, u.role, u.disabledAt ? 'disabled' : 'active']);
      for (const line of table([['ID', 'EMAIL', 'NAME', 'ROLE', 'STATUS'], ...rows])) io.out(line);
    });

  program
    .command('user:reset-2fa')
    .description("Turn off a user's two-factor login and delete their recovery codes (a user locked out without their phone). Their password alone logs them in again; an admin whose organisation requires it is asked to set it up anew.")
    .requiredOption('--email <email>', 'login email of the user')
    .action(async (opts: { email: string }) => {
      const { db, logger } = await getDeps();
      const user = await findUserByEmail(db, opts.email);
      if (!user) throw new NotFoundError(`User ${opts.email.trim()}`, 'Check the email with user:list.');
      const result = await resetTwoFactor(db, user.id);
      logger.info({ userId: user.id, wasEnabled: result.wasEnabled }, 'two-factor login reset from the command line');
      if (!result.wasEnabled && result.recoveryCodesRemoved === 0) {
        io.out(`${user.email} (user ${user.id}) had no two-factor login; nothing to reset (any set-up in progress was cancelled).`);
        return;
      }
      io.out(`Turned off two-factor login for ${user.email} (user ${user.id}) and deleted ${result.recoveryCodesRemoved} recovery code${result.recoveryCodesRemoved === 1 ? '' : 's'}. They log in with their password alone${user.role === 'admin' ? ' (if their organisation requires it, they are asked to set it up again right after)' : ''}.`);
    });

  program
    .command('token:create')
    .description('Create an API token for /api/v1. The token is printed alone on the last line, once.')
    .requiredOption('--role <role>', roleHelp)
    .requiredOption('--name <label>', 'what the token is for, e.g. "booking system"')
    .option('--org <id>', 'organisation id (may be omitted when there is one organisation)')
    .action(async (opts: { role: string; name: string; org?: string }) => {
      const { db } = await getDeps();
      const org = await resolveOrganisation(db, parseId(opts.org, 'org'));
      const { token, id } = await createApiToken(db, { orgId: org.id, role: opts.role, name: opts.name });
      io.out(`Created API token ${id} "${opts.name.trim()}" (${opts.role}) for organisation ${org.id}. It is shown once; store it now:`);
      io.out(token);
    });

  program
    .command('token:revoke')
    .description('Revoke an API token: requests using it are refused from now on.')
    .requiredOption('--id <id>', 'token id (see the Users page or token:create output)')
    .action(async (opts: { id: string }) => {
      const { db } = await getDeps();
      const token = await revokeApiToken(db, parseId(opts.id, 'id')!);
      io.out(`Revoked API token ${token.id} "${token.name}".`);
    });
}

// ---- terminal I/O

export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    readPassword: (prompt) => (process.stdin.isTTY ? promptHidden(prompt) : readPipedLine()),
  };
}

/** The first line of piped stdin (so `echo 'pw' | …` works; the newline is not part of the password). */
async function readPipedLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw new ValidationError([{ path: 'password', message: 'is required: pipe it on stdin or run in a terminal to be prompted' }], 'No password given');
  return line;
}

/** Prompt on the terminal without echoing what is typed. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let value = '';
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('Cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
