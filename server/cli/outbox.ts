// `outbox:list`, `outbox:retry`, `outbox:purge`: look at the queue and act on it from a shell.
import { InvalidArgumentError, type Command } from 'commander';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import { listOutbox, purgeDone, retryItems, type OutboxListEntry } from '../outbox/admin';
import type { OutboxStatus } from '../outbox/types';
import { formatDateTime, plural } from '../domain/format';

const STATUSES: readonly OutboxStatus[] = ['pending', 'leased', 'done', 'dead', 'paused'];
const DAY_MS = 24 * 60 * 60 * 1000;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of days, 0 or more');
  return n;
}

function status(value: string): OutboxStatus {
  if (!(STATUSES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${STATUSES.join(', ')}`);
  return value as OutboxStatus;
}

function collectIds(value: string, previous: number[] = []): number[] {
  return [...previous, ...value.split(',').filter(Boolean).map(positiveInt)];
}

export function registerOutboxCommands(program: Command, getDeps: () => Promise<{ db: Db; logger: Logger }>): void {
  program
    .command('outbox:list')
    .description('List outbox items, newest first.')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`, status)
    .option('--type <type>', 'only this type, e.g. xero.invoice.push')
    .option('--org <id>', 'only this organisation', positiveInt)
    .option('--limit <n>', 'at most this many', positiveInt, 50)
    .action(async (o: { status?: OutboxStatus; type?: string; org?: number; limit: number }) => {
      const { db } = await getDeps();
      const items = await listOutbox(db, { status: o.status, type: o.type, orgId: o.org, limit: o.limit });
      // Each item's time where its organisation is (the one date style); items of no organisation in UTC.
      const orgIds = [...new Set(items.flatMap((i) => (i.orgId === null ? [] : [i.orgId])))];
      const zones = new Map(orgIds.length ? ((await db('organisations').whereIn('id', orgIds).select('id', 'timezone')) as { id: number; timezone: string }[]).map((r) => [Number(r.id), r.timezone]) : []);
      console.log(items.length ? formatTable(items, (orgId) => (orgId === null ? 'UTC' : zones.get(orgId) ?? 'UTC')) : 'No outbox items match.');
    });

  program
    .command('outbox:retry')
    .description('Send dead or paused items again: back to pending, attempts reset, due now.')
    .option('--id <ids...>', 'these item ids (space or comma separated)', (v: string, prev?: number[]) => collectIds(v, prev))
    .option('--dead', 'every dead item')
    .option('--paused', 'every paused item')
    .option('--type <type>', 'only items of this type')
    .action(async (o: { id?: number[]; dead?: boolean; paused?: boolean; type?: string }) => {
      const chosen = [o.id?.length ? 'id' : null, o.dead ? 'dead' : null, o.paused ? 'paused' : null].filter(Boolean);
      if (chosen.length !== 1) throw new InvalidArgumentError('choose exactly one of --id <ids...>, --dead or --paused');
      const { db } = await getDeps();
      const moved = o.id?.length
        ? await retryItems(db, { ids: o.id, type: o.type })
        : await retryItems(db, { status: o.dead ? 'dead' : 'paused', type: o.type });
      console.log(`${plural(moved, 'item')} back to pending.${o.id?.length && moved < o.id.length ? ' (Only dead or paused items can be retried.)' : ''}`);
    });

  program
    .command('outbox:purge')
    .description('Delete done items older than the given number of days.')
    .requiredOption('--older-than <days>', 'age in days', nonNegativeNumber)
    .action(async (o: { olderThan: number }) => {
      const { db } = await getDeps();
      const removed = await purgeDone(db, { olderThanMs: Math.round(o.olderThan * DAY_MS) });
      console.log(`${plural(removed, 'done item')} deleted.`);
    });
}

function formatTable(items: OutboxListEntry[], zoneOf: (orgId: number | null) => string): string {
  const rows = items.map((i) => [
    String(i.id), i.status, i.type, i.orgId === null ? '-' : String(i.orgId), `${i.attempts}/${i.maxAttempts}`,
    formatDateTime(i.status === 'done' && i.doneAt ? i.doneAt : i.availableAt, zoneOf(i.orgId)), oneLine(i.lastError ?? ''),
  ]);
  const header = ['id', 'status', 'type', 'org', 'attempts', 'due/done at', 'last error'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}
