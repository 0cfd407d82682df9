/* global document, window */
// The sale page's money, live: while the page is open and visible, poll its live.json (the URL the server
// put in data-live-url, so it works wherever the app is mounted) every few seconds and rewrite the state,
// paid, outstanding and refunded figures and the payments table in place. A payment recorded elsewhere
// ("Paid in Xero: bank transfer, 2 Dec", brought back by Xero's webhook) appears without a reload and is
// read out by screen readers (the aria-live paragraph). The payment form goes once nothing is outstanding.
// Pauses while the tab is hidden; gives up after 30 minutes without a visit. Same-origin file (the CSP
// forbids inline scripts); text only (textContent), never HTML.
(function () {
  'use strict';
  var announce = document.querySelector('[data-live-url]');
  if (!announce || !window.fetch) return;
  var url = announce.getAttribute('data-live-url');
  var table = document.querySelector('[data-testid="payments-table"]');
  var tbody = table && table.querySelector('tbody');
  var none = document.querySelector('[data-live-none]');
  var payForm = document.querySelector('[data-live-while-outstanding]');
  var INTERVAL_MS = 3000;
  var IDLE_LIMIT_MS = 30 * 60 * 1000;
  var giveUpAt = Date.now() + IDLE_LIMIT_MS;
  var timer = null;
  var lastSeen = '';
  var known = {};
  Array.prototype.forEach.call(tbody ? tbody.querySelectorAll('tr[data-payment-id]') : [], function (tr) {
    known[tr.getAttribute('data-payment-id')] = true;
  });

  function cell(text, className) {
    var td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function methodCell(p) {
    if (!p.source) return cell(p.method);
    var td = document.createElement('td');
    var span = document.createElement('span');
    span.setAttribute('data-testid', 'payment-source');
    span.textContent = p.source;
    td.appendChild(span);
    return td;
  }

  // The amount, and the part of it that went to the customer's credit, as the server renders them.
  function amountCell(p) {
    var td = cell(p.amount + ' ' + p.currency, 'num');
    if (p.toCredit) {
      var hint = document.createElement('span');
      hint.className = 'hint';
      hint.setAttribute('data-testid', 'payment-to-credit');
      hint.textContent = p.toCredit + ' ' + p.currency + " to the customer's credit";
      td.append(document.createElement('br'), hint);
    }
    return td;
  }

  function setText(name, text) {
    var el = document.querySelector('[data-live="' + name + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  }

  function render(data) {
    var seen = JSON.stringify(data);
    if (seen === lastSeen) return; // nothing changed: leave the DOM (and any selection) alone
    lastSeen = seen;
    var state = document.querySelector('[data-live="state"]');
    if (state) {
      state.textContent = data.state.label;
      state.className = 'status status-' + data.state.tone;
    }
    setText('paid', data.paid + ' ' + data.currency);
    setText('outstanding', data.outstanding + ' ' + data.currency);
    setText('refunded', data.refunded + ' ' + data.currency);
    var fresh = [];
    tbody.replaceChildren.apply(tbody, data.payments.map(function (p) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-payment-id', String(p.id));
      tr.append(cell(p.when), methodCell(p), cell(p.providerRef || ''), amountCell(p));
      if (!known[p.id]) fresh.push(p);
      return tr;
    }));
    known = {};
    data.payments.forEach(function (p) { known[p.id] = true; });
    table.hidden = data.payments.length === 0;
    // The scrolling box is a keyboard stop: hidden with the table, so an empty stop never takes the focus.
    if (table.parentElement && table.parentElement.classList.contains('table-scroll')) table.parentElement.hidden = table.hidden;
    if (none) none.hidden = data.payments.length > 0;
    if (payForm && Number(data.outstanding) <= 0) payForm.hidden = true;
    // A refund's downstream state ("Settled in Xero: 30.00 paid out") follows too.
    var refundNews = [];
    (data.refunds || []).forEach(function (r) {
      var td = document.querySelector('tr[data-refund-id="' + r.id + '"] [data-testid="refund-state"]');
      var text = r.downstreamState || '';
      if (!td || td.textContent === text) return;
      td.textContent = text;
      if (text) refundNews.push('Refund: ' + text);
    });
    var news = fresh.map(function (p) {
      return (p.source || p.method) + ': ' + p.amount + ' ' + p.currency;
    });
    if (fresh.length) news.push(data.state.label + ', outstanding ' + data.outstanding + ' ' + data.currency);
    news = news.concat(refundNews);
    if (news.length) announce.textContent = news.join('. ') + '.';
  }

  function schedule() {
    if (timer || document.hidden || Date.now() > giveUpAt) return;
    timer = setTimeout(poll, INTERVAL_MS);
  }

  function poll() {
    timer = null;
    fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(render)
      .catch(function () { /* a blip (server restarting, network, signed out): try again next time */ })
      .then(schedule);
  }

  document.addEventListener('visibilitychange', function () {
    if (document.hidden) return;
    giveUpAt = Date.now() + IDLE_LIMIT_MS;
    schedule();
  });

  if (tbody) schedule();
})();
