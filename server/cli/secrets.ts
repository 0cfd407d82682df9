// `secrets:*` commands: rotate the master key, rotate an organisation's data key, show key status.
// Nothing here prints a key: only fingerprints (first 8 hex digits of SHA-256), which are not secret.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { plural } from '../domain/format';
import type { AppConfig } from '../config';
import type { Db } from '../db/knex';
import { NotFoundError, ValidationError } from '../errors';
import {
  createSecretBox,
  keyFingerprint,
  loadMasterKey,
  parseMasterKey,
  readKeyFile,
  replaceKeyFile,
  rotateMasterKey,
  rotateOrgDataKey,
  type SealedColumnRegistry,
} from '../secrets';

export interface SecretCommandDeps {
  config: AppConfig;
  db: Db;
  /** The host's and the installed plugins' sealed columns (what an organisation key rotation re-seals). */
  sealedColumns: SealedColumnRegistry;
}

export interface SecretCommandIo {
  /** Where the new master key is read from with --new-key-stdin. */
  readStdin(): Promise<string>;
  print(line: string): void;
}

const defaultIo: SecretCommandIo = {
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  },
  print: (line) => console.log(line),
};

export function registerSecretCommands(
  program: Command,
  getDeps: () => Promise<SecretCommandDeps>,
  io: Partial<SecretCommandIo> = {},
): void {
  const { readStdin, print } = { ...defaultIo, ...io };

  program
    .command('secrets:rotate-master')
    .description(
      'Re-wrap every organisation data key under a new master key (one transaction). Stop the server and ' +
        'workers first. With a key file, the file is replaced afterwards; with MASTER_KEY, set it to the new key.',
    )
    .option('--new-key-file <path>', 'file holding the new key, base64 (mode 0600)')
    .option('--new-key-stdin', 'read the new key, base64, from standard input')
    .option('--generate', 'generate a random new key (key file installs only; it is written to the key file)')
    .action(async (opts: { newKeyFile?: string; newKeyStdin?: boolean; generate?: boolean }) => {
      const sources = [opts.newKeyFile !== undefined, opts.newKeyStdin === true, opts.generate === true].filter(Boolean).length;
      if (sources !== 1) {
        const message = 'give exactly one of --new-key-file, --new-key-stdin or --generate';
        throw new ValidationError([{ path: 'new key', message }], `Cannot rotate the master key: ${message}`);
      }
      const { config, db } = await getDeps();
      if (opts.generate && config.masterKey) {
        // The only way to hand over a generated key would be printing it; that is not done.
        const message = 'MASTER_KEY is set: create the new key yourself (openssl rand -base64 32) and pass it with --new-key-stdin';
        throw new ValidationError([{ path: '--generate', message }], `Cannot rotate the master key: ${message}`);
      }
      const oldKey = loadMasterKey(config);
      const newKey = opts.generate
        ? randomBytes(32)
        : opts.newKeyFile !== undefined
          ? readKeyFile(opts.newKeyFile)
          : parseMasterKey(await readStdin(), 'new master key (stdin)');
      const result = await rotateMasterKey(db, oldKey, newKey);
      print(`Re-wrapped ${plural(result.rewrapped, 'data key')} from master key ${result.from} to ${result.to}` +
        (result.alreadyNew ? ` (${result.alreadyNew} already under ${result.to}).` : '.'));
      if (config.masterKey) {
        print(`Now set MASTER_KEY to the new key (fingerprint ${result.to}) everywhere the app runs; the old key no longer opens anything.`);
      } else {
        // After the commit: a crash in between leaves the old file, and re-running with the same new key finishes the job.
        replaceKeyFile(config.masterKeyFile, newKey);
        print(`Replaced ${config.masterKeyFile} with the new key (fingerprint ${keyFingerprint(newKey)}).`);
        if (opts.newKeyFile !== undefined) print(`Delete ${opts.newKeyFile} once the key is backed up safely.`);
      }
    });

  program
    .command('secrets:rotate-org')
    .description("Create a new data key for one organisation and re-seal every registered secret column under it (one transaction).")
    .requiredOption('--org <id>', 'organisation id')
    .action(async (opts: { org: string }) => {
      const orgId = Number(opts.org);
      if (!Number.isInteger(orgId) || orgId <= 0) {
        throw new ValidationError([{ path: '--org', message: 'must be an organisation id' }], '--org must be an organisation id');
      }
      const { config, db, sealedColumns } = await getDeps();
      if (!(await db('organisations').where({ id: orgId }).first())) throw new NotFoundError(`Organisation ${orgId}`);
      const box = createSecretBox({ masterKey: loadMasterKey(config) });
      const result = await rotateOrgDataKey(db, box, orgId, { registry: sealedColumns });
      const counts = Object.entries(result.resealed).map(([column, n]) => `${column}: ${n}`);
      print(`Organisation ${orgId} now seals with data key ${result.keyId}; retired ${plural(result.retired.length, 'key')}.`);
      print(counts.length ? `Re-sealed ${counts.join(', ')}.` : 'No sealed values to re-seal.');
    });

  program
    .command('secrets:status')
    .description('List each organisation\'s data keys and the master key that wraps them.')
    .action(async () => {
      const { config, db } = await getDeps();
      const loaded = keyFingerprint(loadMasterKey(config));
      const rows = (await db('org_data_keys').select('org_id', 'key_id', 'master_key_id', 'retired_at').orderBy(['org_id', 'id'])) as {
        org_id: number; key_id: string; master_key_id: string; retired_at: number | null;
      }[];
      print(`Loaded master key: ${loaded}`);
      for (const r of rows) {
        const state = r.retired_at === null ? 'active' : 'retired';
        const warn = r.master_key_id === loaded ? '' : '  <- wrapped by another master key';
        print(`org ${r.org_id}  key ${r.key_id}  ${state}  wrapped by ${r.master_key_id}${warn}`);
      }
    });
}
