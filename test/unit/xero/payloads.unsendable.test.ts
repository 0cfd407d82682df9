// What a record holds that Xero cannot take fails at once, for that record, with its real reason (a
// PermanentError): never a "Could not reach Xero" retried for ever (issue 18 #4). And a text cut to Xero's
// limits never splits a character in two.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildContact, buildInvoice, contactNameCollisionVariant, xeroDate } from '../../../plugins/xero/payloads';
import { clipText } from '../../../plugins/xero/payloads/guard';
import { PermanentError } from '../../../server/errors';
import { makeSale, ukMappings } from './payloadsFixtures';

const lonelySurrogate = (s: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('records Xero cannot take', () => {
  it('a sale dated in year 999 fails its invoice permanently, naming the date', () => {
    const sale = makeSale('GBP', [{ price: 1000 }], { occurredAt: Date.UTC(999, 5, 1, 12) });
    assert.throws(() => buildInvoice(sale, ukMappings(), { contact: { ContactID: 'c' }, saleUrl: 'http://x', now: Date.now() }),
      (err: unknown) => err instanceof PermanentError && /0999-06-01 is before 1900-01-01/.test(err.message));
    assert.throws(() => xeroDate(Date.UTC(1899, 11, 31, 23)), PermanentError);
    assert.equal(xeroDate(Date.UTC(1900, 0, 1, 12)), '1900-01-01');
  });

  it('anything else a builder trips on is permanent for that record, with the reason', () => {
    const sale = makeSale('GBP', [{ price: 1000 }], { occurredAt: Number.NaN });
    assert.throws(() => buildInvoice(sale, ukMappings(), { contact: { ContactID: 'c' }, saleUrl: 'http://x', now: Number.NaN }),
      (err: unknown) => err instanceof PermanentError && /^Could not build the invoice of Sale \d+ for Xero: /.test(err.message));
    assert.throws(() => buildInvoice(sale, ukMappings(), { contact: { ContactID: 'c' }, saleUrl: 'http://x', now: Number.NaN, saleName: () => 'Sale TILL-016' }),
      (err: unknown) => err instanceof PermanentError && /^Could not build the invoice of Sale TILL-016 for Xero: /.test(err.message), 'named as the caller names the sale');
  });

  it('cuts names and references by characters, never through an emoji', () => {
    const emoji = '😀'.repeat(300);
    // Xero counts UTF-16 units, as .NET does: 127 emoji (254 units) fit in 255, half of the 128th does not.
    assert.equal(clipText(emoji, 255), '😀'.repeat(127));
    assert.equal(clipText('short', 255), 'short');
    assert.equal(clipText(`${'a'.repeat(254)}😀`, 255), 'a'.repeat(254));
    const contact = buildContact({ id: 42, name: '🎉'.repeat(256), email: null }, 1);
    assert.ok(contact.Name.length <= 255);
    assert.ok(!lonelySurrogate(contact.Name));
    const variant = contactNameCollisionVariant('🎉'.repeat(256), 42);
    assert.ok(!lonelySurrogate(variant));
    assert.ok(variant.length <= 255);
    assert.match(variant, / \(LB-C-42\)$/);
    // Encodable, as every request must be (a lone surrogate made encodeURIComponent throw URIError).
    assert.doesNotThrow(() => encodeURIComponent(contact.Name + variant));
  });
});
