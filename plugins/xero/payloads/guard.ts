// Building a payload is local, pure work: when it fails, trying again later can never help. A builder's
// failure becomes a PermanentError naming what could not be built and why, so the sync fails that record
// at once with its real reason for the admin — instead of the batch retrying as "Could not reach Xero"
// (a year-999 date and a name cut through an emoji were each retried 22 times while the sale said pending).
import { PermanentError } from '../../../server/errors';

export function buildingPayload<T>(what: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof PermanentError) throw err;
    throw new PermanentError(`Could not build ${what} for Xero: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * At most `max` UTF-16 units, never cutting a character in two. Xero counts a name's length as .NET does
 * (UTF-16 units: an emoji is 2), which is also never more than the code points its published maxLength
 * counts; slicing units blindly left half an emoji, which no request can encode (URIError).
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max) break;
    out += char;
  }
  return out;
}
