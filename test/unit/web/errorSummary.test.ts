import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorSummaryOf, fieldErrorsOf } from '../../../server/web/errorSummary';

test('each field message links to its field and is named by its label, in page order', () => {
  const html = `
    <label for="customer-name">Customer name</label><input id="customer-name" aria-invalid="true">
    <p class="field-error" id="customer-name-error">is required</p>
    <label for="email">Email <span class="optional">(optional)</span></label><input id="email">
    <p class="field-error" id="email-error">must be an email address like &quot;ann@example.com&quot;</p>`;
  assert.deepEqual(fieldErrorsOf(html), [
    { href: '#customer-name', text: 'Customer name: is required' },
    { href: '#email', text: 'Email: must be an email address like "ann@example.com"' },
  ]);
});

test('a field named only by aria-label is named by it; a message with no named field stands alone', () => {
  const html = `<input id="lines-0-qty" aria-label="Quantity, line 1"><p class="field-error" id="lines-0-qty-error">must be 1 or more</p>
    <p class="field-error" id="orphan-error">something is wrong</p><p class="field-error">no id: not linked</p>`;
  assert.deepEqual(fieldErrorsOf(html), [
    { href: '#lines-0-qty', text: 'Quantity, line 1: must be 1 or more' },
    { href: '#orphan', text: 'something is wrong' },
  ]);
});

test('a page with no field message has no summary; the page’s own problems come first', () => {
  assert.deepEqual(errorSummaryOf('<p class="hint">fine</p>', undefined), []);
  const own = [{ text: 'Xero refused the consumer key', href: '#consumer-key' }];
  assert.deepEqual(errorSummaryOf('<label for="a">A</label><p class="field-error" id="a-error">bad</p>', [...own, { text: 1 }]), [...own, { href: '#a', text: 'A: bad' }]);
});
