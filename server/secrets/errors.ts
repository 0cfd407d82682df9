import { AppError } from '../errors';

// Secret errors name the organisation and the purpose (which are not secret) so an operator can find the
// row; they never carry plaintext, ciphertext or key bytes.

/** A sealed value could not be opened: altered, copied from another row/organisation, or under a missing key. */
export class SecretUnreadableError extends AppError {
  constructor(opts: { orgId: number; purpose: string; reason: string; cause?: unknown }) {
    super({
      statusCode: 500,
      code: 'SECRET_UNREADABLE',
      message: `A sealed secret for organisation ${opts.orgId} (${opts.purpose}) could not be opened: ${opts.reason}`,
      help:
        'The stored value was altered, copied from another record, or sealed under a key this install no longer has. ' +
        'Re-enter the secret (e.g. reconnect Xero) to seal it again.',
      cause: opts.cause,
    });
  }
}

/** A data key is wrapped by a master key other than the one loaded (wrong MASTER_KEY / key file). */
export class MasterKeyMismatchError extends AppError {
  constructor(opts: { orgId: number; wrappedBy: string; loaded: string }) {
    super({
      statusCode: 500,
      code: 'MASTER_KEY_MISMATCH',
      message:
        `The data key of organisation ${opts.orgId} is wrapped by master key ${opts.wrappedBy}, ` +
        `but the loaded master key is ${opts.loaded}`,
      help:
        'Start with the master key this database was sealed with (MASTER_KEY or the key file), ' +
        'or finish an interrupted `secrets:rotate-master` by installing the new key.',
    });
  }
}
