// Service dates, the Xero plugin's side (pure): which day an invoice is dated, and until when it waits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serviceDayStart, waitingNote, waitsUntil } from '../../../plugins/xero/sync/serviceDate';
import { invoiceDateOf } from '../../../plugins/xero/payloads/invoice';
import { makeSale, ukMappings } from './payloadsFixtures';

describe('invoiceDateOf', () => {
  const sale = { ...makeSale('GBP', [{ price: 1000 }]), occurredAt: Date.parse('2026-05-31T23:30:00Z'), serviceDate: '2026-07-14' };
  it("is the sale's day in the organisation's time zone while the setting is the sale date", () => {
    assert.equal(invoiceDateOf(sale, ukMappings(), { now: 0, timeZone: 'Europe/London' }), '2026-06-01');
    assert.equal(invoiceDateOf(sale, ukMappings(), { now: 0 }), '2026-05-31', 'UTC when no zone is given');
  });
  it('is the service date when the setting says so and the sale has one', () => {
    assert.equal(invoiceDateOf(sale, ukMappings({ invoiceDate: 'service_date' }), { now: 0, timeZone: 'Europe/London' }), '2026-07-14');
    assert.equal(invoiceDateOf({ ...sale, serviceDate: null }, ukMappings({ invoiceDate: 'service_date' }), { now: 0, timeZone: 'Europe/London' }), '2026-06-01');
  });
});

describe('waitsUntil', () => {
  const m = { invoiceDate: 'service_date' as const };
  it('holds until the service day begins in the organisation\'s time zone', () => {
    const start = Date.parse('2026-07-13T23:00:00Z'); // midnight BST
    assert.equal(serviceDayStart({ serviceDate: '2026-07-14' }, m, 'Europe/London'), start);
    assert.equal(waitsUntil({ serviceDate: '2026-07-14' }, m, 'Europe/London', start - 1), start);
    assert.equal(waitsUntil({ serviceDate: '2026-07-14' }, m, 'Europe/London', start), null);
    assert.equal(serviceDayStart({ serviceDate: '2026-07-14' }, m, 'Pacific/Auckland'), Date.parse('2026-07-13T12:00:00Z'));
  });
  it('never waits while invoices are dated on the sale date, or without a service date', () => {
    assert.equal(waitsUntil({ serviceDate: '2099-01-01' }, { invoiceDate: 'sale_date' }, 'Europe/London', 0), null);
    assert.equal(waitsUntil({ serviceDate: null }, m, 'Europe/London', 0), null);
    assert.equal(waitsUntil({}, m, 'Europe/London', 0), null);
  });
  it('says what is waiting and when', () => {
    assert.equal(waitingNote('2026-07-14'), 'Waits for its service date: the invoice is dated 14 Jul 2026 and posted to Xero on that day');
  });
});
