import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, linkablePaths, messageHtml } from '../../../server/web/messageHtml';

const known = linkablePaths(['/', '/sales', '/plugins/xero/settings', '/plugins/xero/sync/failures']);

describe('a message shown on a page', () => {
  it('links the app\'s own pages it names by path', () => {
    assert.equal(messageHtml('Set it on the Xero settings page (/plugins/xero/settings), then retry.', known),
      'Set it on the Xero settings page (<a href="/plugins/xero/settings">/plugins/xero/settings</a>), then retry.');
    assert.equal(messageHtml('/sales.', known), '<a href="/sales">/sales</a>.', 'the sentence\'s full stop is not part of the path');
  });

  it('escapes everything else, and links no path it does not know', () => {
    assert.equal(messageHtml('<script>alert("x")</script> & /plugins/xero/settings', known),
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <a href="/plugins/xero/settings">/plugins/xero/settings</a>');
    assert.equal(messageHtml('see /admin/secret or /plugins/xero/settings-old', known), 'see /admin/secret or /plugins/xero/settings-old');
    assert.equal(messageHtml('a/plugins/xero/settings', known), 'a/plugins/xero/settings', 'only a path standing on its own');
    assert.equal(messageHtml('net / gross', known), 'net / gross', 'the bare root is never a link');
    assert.equal(messageHtml('https://evil.example/sales', known), 'https://evil.example/sales');
  });

  it('is empty for no message', () => {
    assert.equal(messageHtml(null, known), '');
    assert.equal(messageHtml('', known), '');
    assert.equal(escapeHtml(`'`), '&#39;');
  });
});
