import pino from 'pino';

// Anything that can carry a credential is redacted wherever it appears in a log object.
export const REDACTED_KEYS = [
  'password', 'passwordHash', 'password_hash', 'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token',
  'idToken', 'id_token', 'clientSecret', 'client_secret', 'consumerSecret', 'consumer_secret', 'privateKey', 'private_key',
  'authorization', 'Authorization', 'cookie', 'Cookie', 'secret', 'masterKey', 'apiToken', 'sealed',
];

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`, `req.headers.${k}`]);
  return pino({
    name: opts.name ?? 'ledgerbridge',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths, censor: '[redacted]' },
  });
}
