import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOfDayInZone } from '../../../server/web/time';
import { safeRedirectPath } from '../../../server/web/forms';
import { HOST_NAV, navFor } from '../../../server/web/nav';

test('start of day is local midnight in the organisation time zone, across DST', () => {
  // 2024-07-01 10:00 UTC is 11:00 in London (BST): midnight was 23:00 UTC the day before.
  assert.equal(startOfDayInZone(Date.parse('2024-07-01T10:00:00Z'), 'Europe/London'), Date.parse('2024-06-30T23:00:00Z'));
  // Winter: GMT = UTC.
  assert.equal(startOfDayInZone(Date.parse('2024-01-15T10:00:00Z'), 'Europe/London'), Date.parse('2024-01-15T00:00:00Z'));
  // 2024-03-31 is the spring-forward day in London: midnight was still GMT.
  assert.equal(startOfDayInZone(Date.parse('2024-03-31T12:00:00Z'), 'Europe/London'), Date.parse('2024-03-31T00:00:00Z'));
  // West of UTC, late evening local time is already the next UTC day.
  assert.equal(startOfDayInZone(Date.parse('2024-01-16T03:00:00Z'), 'America/New_York'), Date.parse('2024-01-15T05:00:00Z'));
});

test('redirects after login stay on this site', () => {
  assert.equal(safeRedirectPath('/sales/3?x=1'), '/sales/3?x=1');
  for (const evil of ['https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '']) {
    assert.equal(safeRedirectPath(evil), '/', evil);
  }
});

test('navigation shows each role only its entries, host entries first, no duplicates', () => {
  const plugin = [{ label: 'Xero', href: '/plugins/xero', roles: ['admin' as const] }, { label: 'Sales again', href: '/sales', roles: ['staff' as const] }];
  assert.deepEqual(navFor('staff', HOST_NAV, plugin).map((i) => i.href), ['/', '/sales', '/sales/new']);
  assert.deepEqual(navFor('admin', HOST_NAV, plugin).map((i) => i.href), ['/', '/sales', '/sales/new', '/users', '/plugins/xero']);
  assert.deepEqual(navFor('accountant', HOST_NAV).map((i) => i.href), ['/', '/sales']);
  assert.deepEqual(navFor(undefined, HOST_NAV), []);
});
