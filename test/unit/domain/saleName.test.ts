// A sale's one name (server/domain/saleName.ts): its own reference, else its number; never "#16".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { saleName } from '../../../server/domain/saleName';

describe('saleName', () => {
  it('is the sale\'s own reference when it has one', () => {
    assert.equal(saleName({ id: 16, reference: 'TILL-016' }), 'Sale TILL-016');
  });
  it('is its number when it has none (or only spaces)', () => {
    assert.equal(saleName({ id: 16, reference: null }), 'Sale 16');
    assert.equal(saleName({ id: 16, reference: '  ' }), 'Sale 16');
  });
});
