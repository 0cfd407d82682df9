// A schedule setting as every plugin reads it from the environment: a cron pattern (UTC), or `off`.
// Validated at boot with croner itself, so a typo stops the start with the variable named instead of a
// sweep that silently never runs. Parses to the pattern, or null for off.
import { Cron } from 'croner';
import { z } from 'zod';

export function isValidCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true, timezone: 'UTC' }).stop();
    return true;
  } catch {
    return false;
  }
}

export function cronSetting(defaultPattern: string) {
  return z
    .string()
    .trim()
    .default(defaultPattern)
    .refine((v) => v.toLowerCase() === 'off' || isValidCron(v), { message: `must be a cron expression (e.g. ${defaultPattern}) or off` })
    .transform((v) => (v.toLowerCase() === 'off' ? null : v));
}
