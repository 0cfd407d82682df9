/* global document, window */
// The sale page's sync state, live: while any record is still on its way downstream, poll
// /sales/:id/sync.json about once a second and rewrite the summary and the table in place, so "Invoice
// LB-12 in Xero" appears without a reload. Stops once everything is synced, failed or deleted upstream
// (or after 10 minutes). Same-origin file: the CSP forbids inline scripts. Text only (textContent), never HTML.
(function () {
  'use strict';
  var section = document.querySelector('[data-sync-url]');
  if (!section || !window.fetch) return;
  var url = section.getAttribute('data-sync-url');
  var summary = section.querySelector('.sync-summary');
  var table = section.querySelector('table');
  var tbody = table && table.querySelector('tbody');
  var empty = section.querySelector('[data-sync-empty]');
  var giveUpAt = Date.now() + 10 * 60 * 1000;
  var lastSeen = '';

  function cell(text, className) {
    var td = document.createElement('td');
    if (className) {
      var span = document.createElement('span');
      span.className = className;
      span.textContent = text;
      td.appendChild(span);
    } else td.textContent = text;
    return td;
  }

  // Xero's reason, then what to do about it (a mapping to fix) in bold, as the server renders it.
  function errorCell(r) {
    var td = cell(r.error || '');
    if (r.note) {
      var strong = document.createElement('strong');
      strong.className = 'sync-note';
      strong.textContent = r.note;
      td.append(' ', strong);
    }
    return td;
  }

  // The record's reference, linked to its page in the service when the plugin gives one ("Open in Xero").
  function refCell(r) {
    var td = document.createElement('td');
    if (r.externalUrl) {
      var a = document.createElement('a');
      a.href = r.externalUrl;
      a.textContent = (r.externalRef || '') + ' (' + r.externalLabel + ')';
      td.appendChild(a);
    } else td.textContent = r.externalRef || '';
    return td;
  }

  function render(data) {
    var seen = JSON.stringify(data.records);
    if (seen === lastSeen) return; // nothing changed: leave the DOM (and any selection) alone
    lastSeen = seen;
    summary.replaceChildren.apply(summary, data.records.map(function (r) {
      var li = document.createElement('li');
      li.className = 'sync-' + r.status;
      li.textContent = r.label;
      return li;
    }));
    tbody.replaceChildren.apply(tbody, data.records.map(function (r) {
      var tr = document.createElement('tr');
      tr.className = 'sync-' + r.status;
      tr.append(
        cell(r.plugin), cell(r.recordType.replace('_', ' ')), cell(r.entityName || r.entityType + ' ' + r.entityId),
        cell(r.status.replace('_', ' '), 'status status-' + r.status), refCell(r), cell(r.updated), errorCell(r),
      );
      return tr;
    }));
    table.hidden = data.records.length === 0;
    // Its scrolling box is a keyboard stop: hidden with the table, so an empty stop never takes the focus.
    if (table.parentElement && table.parentElement.classList.contains('table-scroll')) table.parentElement.hidden = table.hidden;
    if (empty) empty.hidden = data.records.length > 0;
    section.setAttribute('data-sync-settled', data.settled ? 'true' : 'false');
  }

  function poll() {
    fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) {
        render(data);
        if (!data.settled) later();
      })
      .catch(later); // a blip (server restarting, network): keep trying until the deadline
  }

  function later() {
    if (Date.now() < giveUpAt) setTimeout(poll, 1000);
  }

  if (section.getAttribute('data-sync-settled') !== 'true') later();
})();
