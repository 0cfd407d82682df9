// A 401 from Xero's OAuth 1.0a check is mapped by its oauth_problem: a refused timestamp or nonce retries
// (Xero processed nothing; pausing for re-authorisation cannot fix a server clock), a refused token or
// consumer pauses for an admin as before. The e2e proof against the emulator is
// test/e2e/xero/clock-skew.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthRevokedError, RetryableError } from '../../../server/errors';
import { parseXeroFailure, toWorkerError } from '../../../plugins/xero/gateway/client';
import { acceptedWindowSeconds, clockAlertMessage, isClockAlert } from '../../../plugins/xero/gateway/clockRefusal';

/** What xero-node rejects with for an HTTP error: a JSON string of the response. */
function xeroNode401(body: string, headers: Record<string, string> = {}): string {
  return JSON.stringify({ response: { statusCode: 401, body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers } } });
}

describe('OAuth 1.0a 401s: retry or pause', () => {
  for (const problem of ['timestamp_refused', 'nonce_used']) {
    it(`${problem} retries in a minute without spending an attempt, not paused`, () => {
      const mapped = toWorkerError(xeroNode401(`oauth_problem=${problem}&oauth_problem_advice=x`));
      assert.ok(mapped instanceof RetryableError, `${problem} → ${mapped.name}`);
      assert.equal(mapped.retryAfterMs, 60_000, 'again in a minute: the clock is fixed by a person, not by backing off');
      assert.equal(mapped.spendsAttempt, false, 'waiting for a clock must not use up the attempts');
      assert.match(mapped.message, new RegExp(`\\(${problem}\\): it processed nothing`));
    });
  }

  for (const problem of ['token_rejected', 'signature_invalid', 'consumer_key_unknown', 'token_expired', 'signature_method_rejected']) {
    it(`${problem} still pauses for re-authorisation`, () => {
      const mapped = toWorkerError(xeroNode401(`oauth_problem=${problem}&oauth_problem_advice=x`));
      assert.ok(mapped instanceof AuthRevokedError, `${problem} → ${mapped.name}`);
    });
  }

  it('a 401 without an oauth_problem (OAuth2) still pauses', () => {
    assert.ok(toWorkerError(xeroNode401('{"Type":null,"Title":"Unauthorized","Status":401}')) instanceof AuthRevokedError);
  });

  it('a 403 with timestamp_refused in its body is not a signing-time refusal', () => {
    const err = JSON.stringify({ response: { statusCode: 403, body: 'oauth_problem=timestamp_refused', headers: {} } });
    assert.ok(toWorkerError(err) instanceof AuthRevokedError);
  });
});

describe("Xero's answer to a refused timestamp", () => {
  it("keeps Xero's Date and the acceptable window", () => {
    const { error } = parseXeroFailure(xeroNode401('oauth_problem=timestamp_refused&oauth_problem_advice=too%20far&oauth_acceptable_timestamps=1000-1600', { Date: 'Thu, 03 Dec 2026 14:00:00 GMT' }));
    assert.equal(error.problem, 'timestamp_refused');
    assert.equal(error.serverDate, Date.UTC(2026, 11, 3, 14, 0, 0));
    assert.equal((error.body as Record<string, unknown>).oauth_acceptable_timestamps, '1000-1600');
  });

  it('has no serverDate when Xero sent none or an unreadable one', () => {
    assert.equal(parseXeroFailure(xeroNode401('oauth_problem=timestamp_refused')).error.serverDate, undefined);
    assert.equal(parseXeroFailure(xeroNode401('oauth_problem=timestamp_refused', { Date: 'not a date' })).error.serverDate, undefined);
  });

  it('reads the window half-width from oauth_acceptable_timestamps', () => {
    assert.equal(acceptedWindowSeconds('1000-1600'), 300);
    assert.equal(acceptedWindowSeconds('1600-1000'), null);
    assert.equal(acceptedWindowSeconds('soon'), null);
    assert.equal(acceptedWindowSeconds(undefined), null);
  });
});

describe("the admin's clock alert", () => {
  const xero = Date.UTC(2026, 11, 3, 14, 0, 0);

  it('says how far ahead this server is, and what Xero allows', () => {
    const message = clockAlertMessage({ ourNowMs: xero + 601_400, xeroDateMs: xero, acceptable: '1000-1600' });
    assert.equal(message, "Xero refused our signed calls: this server's clock differs from Xero's by about 601 s (ahead of Xero; Xero allows 300 s either way). Fix the server clock (NTP).");
    assert.ok(isClockAlert(message));
  });

  it('says behind when our clock is late, with the documented 5 minutes when Xero did not say', () => {
    const message = clockAlertMessage({ ourNowMs: xero - 420_000, xeroDateMs: xero });
    assert.match(message, /by about 420 s \(behind Xero; Xero allows 300 s either way\)/);
  });

  it('gives no figure when Xero sent no Date', () => {
    const message = clockAlertMessage({ ourNowMs: xero });
    assert.doesNotMatch(message, /about \d/);
    assert.match(message, /carried no Date, so the difference is not known\). Fix the server clock \(NTP\)\.$/);
  });

  it('other errors are not clock alerts', () => {
    assert.equal(isClockAlert('Xero refused the saved authorisation'), false);
    assert.equal(isClockAlert(null), false);
  });
});
