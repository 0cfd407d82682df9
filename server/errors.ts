// The error family shared by the host and every plugin. HTTP layers turn these into
// `{ error: { code, message, help?, details? } }` with the matching status; workers read the
// integration errors (Retryable / Permanent / AuthRevoked) to decide what happens to an outbox item.

export interface FieldIssue {
  /** Dotted path into the request body, e.g. `lines.2.unitPrice`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly help?: string;
  readonly details?: unknown;

  constructor(opts: { statusCode: number; code: string; message: string; help?: string; details?: unknown; cause?: unknown }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.statusCode = opts.statusCode;
    this.code = opts.code;
    this.help = opts.help;
    this.details = opts.details;
  }

  toJSON(): { code: string; message: string; help?: string; details?: unknown } {
    return {
      code: this.code,
      message: this.message,
      ...(this.help ? { help: this.help } : {}),
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

export class ValidationError extends AppError {
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[], message = 'The request has invalid fields') {
    super({ statusCode: 422, code: 'VALIDATION_FAILED', message, details: issues });
    this.issues = issues;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, help?: string) {
    super({ statusCode: 404, code: 'NOT_FOUND', message: `${what} was not found`, help });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication is required') {
    super({ statusCode: 401, code: 'UNAUTHORIZED', message });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Your role does not allow this') {
    super({ statusCode: 403, code: 'FORBIDDEN', message });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT', details?: unknown) {
    super({ statusCode: 409, code, message, details });
  }
}

/** Configuration problems found at boot; all of them, not the first. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

// ---- Integration errors: thrown by outbox handlers (only a plugin's client module creates them) ----

/** Try again later (429, 5xx, timeouts, network). `retryAfterMs` overrides the backoff when the far side said when. */
export class RetryableError extends Error {
  readonly retryAfterMs?: number;
  /**
   * false: the far side refused before doing anything, for a reason retrying cannot wear out (Xero refusing
   * a signature's timestamp while this server's clock is off). The item waits without using up its attempts (the allowance grows by the claim it spent),
   * so a clock fixed after an hour still finds it pending, not given up.
   */
  readonly spendsAttempt: boolean;
  constructor(message: string, opts: { retryAfterMs?: number; cause?: unknown; spendsAttempt?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RetryableError';
    this.retryAfterMs = opts.retryAfterMs;
    this.spendsAttempt = opts.spendsAttempt ?? true;
  }
}

/** Will fail the same way until a person fixes something (validation, missing mapping). Never retried blindly. */
export class PermanentError extends Error {
  readonly help?: string;
  constructor(message: string, opts: { help?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PermanentError';
    this.help = opts.help;
  }
}

/** The connection's credentials are no longer accepted; its items wait (paused) until it is re-authorised. */
export class AuthRevokedError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AuthRevokedError';
  }
}
