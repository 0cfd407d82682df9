// GoCardless identifiers: a two-letter resource prefix and upper-case alphanumerics (PM000A1B2C3D4E).
// A sequence part keeps them unique within one emulator; the random tail keeps two emulators apart.
import { randomBytes } from 'node:crypto';

export type IdPrefix = 'CR' | 'CU' | 'BA' | 'MD' | 'PM' | 'RF' | 'PO' | 'EV' | 'WB' | 'SE';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export class IdMaker {
  #seq = 0;

  next(prefix: IdPrefix): string {
    this.#seq += 1;
    const bytes = randomBytes(8);
    let tail = '';
    for (const b of bytes) tail += ALPHABET[b % ALPHABET.length];
    return `${prefix}${this.#seq.toString(36).toUpperCase().padStart(4, '0')}${tail}`;
  }

  reset(): void {
    this.#seq = 0;
  }
}

export const requestId = (): string => randomBytes(12).toString('hex').toUpperCase();
