// The install's tax codes (pure): a code must be known to every plugin that limits codes; a plugin
// answering null limits nothing; an unknown line code is an issue naming the line and listing the codes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTaxCodeCatalogue, unknownTaxCodeIssues } from '../../../server/plugins/taxCodes';
import type { KnownTaxCode, TaxCodeVocabulary } from '../../../server/plugins/contract';
import type { Queryable } from '../../../server/db/knex';

const vocabulary = (codes: KnownTaxCode[] | null): TaxCodeVocabulary => ({ known: async () => codes });
const db = {} as Queryable;

describe('createTaxCodeCatalogue', () => {
  it('is null when no plugin limits the codes', async () => {
    assert.equal(await createTaxCodeCatalogue([]).known(db, 1), null);
    assert.equal(await createTaxCodeCatalogue([vocabulary(null)]).known(db, 1), null);
  });
  it('keeps the codes every limiting plugin knows (case-insensitively)', async () => {
    const catalogue = createTaxCodeCatalogue([
      vocabulary([{ code: 'STD', label: 'a' }, { code: 'ZERO', label: 'b' }]), vocabulary(null), vocabulary([{ code: 'std', label: 'c' }]),
    ]);
    assert.deepEqual(await catalogue.known(db, 1), [{ code: 'STD', label: 'a' }]);
  });
});

describe('unknownTaxCodeIssues', () => {
  const known = [{ code: 'STD', label: '20%' }, { code: 'OUTPUT2', label: '20%' }];
  it('names each line with an unknown code and lists the known ones; no code and known codes pass', () => {
    assert.deepEqual(unknownTaxCodeIssues([{ taxCode: 'std' }, { taxCode: null }, { taxCode: 'VAT20' }, { taxCode: '  ' }], known), [
      { path: 'lines.2.taxCode', message: 'line 3: tax code "VAT20" is not one this organisation knows; known codes: STD, OUTPUT2' },
    ]);
  });
  it('says how to get codes when none is known yet', () => {
    assert.match(unknownTaxCodeIssues([{ taxCode: 'STD' }], [])[0]!.message, /known codes: none yet \(an admin maps them on the accounting settings page\)/);
  });
});
