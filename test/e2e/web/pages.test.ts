import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { PASSWORD, createWebTestApp, csrfFrom, seedUser, type WebTestApp } from './webTestApp';

type Agent = ReturnType<typeof request.agent>;

async function logIn(app: WebTestApp['app'], email: string): Promise<Agent> {
  const agent = request.agent(app);
  const page = await agent.get('/login');
  const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page), email, password: PASSWORD });
  assert.equal(res.status, 303, `login as ${email}`);
  return agent;
}

/** The new-sale form as a browser would post it: five rows, the blank ones included. */
function saleForm(csrf: string, overrides: Record<string, string> = {}): Record<string, string> {
  const fields: Record<string, string> = { _csrf: csrf, 'customer[name]': 'Ada Lovelace', 'customer[email]': '', reference: '', currency: 'GBP' };
  for (let i = 0; i < 5; i++) {
    for (const f of ['description', 'unitPrice', 'discountRate', 'taxCode', 'category']) fields[`lines[${i}][${f}]`] = '';
    fields[`lines[${i}][quantity]`] = '1';
  }
  fields['payment[method]'] = '';
  fields['payment[amount]'] = '';
  fields['payment[providerRef]'] = '';
  return { ...fields, ...overrides };
}

const encode = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

for (const kind of dbKinds()) {
  describe(`sales and users pages (${kind})`, () => {
    let w: WebTestApp;
    let orgId: number;
    let staff: Agent;
    before(async () => {
      w = await createWebTestApp(kind);
      ({ orgId } = await seedUser(w.t.db, 'admin', 'admin@example.com'));
      await seedUser(w.t.db, 'staff', 'staff@example.com', orgId);
      staff = await logIn(w.app, 'staff@example.com');
    });
    after(async () => w.destroy());

    test('a sale recorded through the form (blank rows ignored) shows on its page, the list and the dashboard', async () => {
      const form = await staff.get('/sales/new').expect(200);
      assert.equal((form.text.match(/name="lines\[\d\]\[description\]"/g) ?? []).length, 5);
      const fields = saleForm(csrfFrom(form), {
        reference: 'WEB-1',
        'lines[1][description]': 'Yoga class',
        'lines[1][quantity]': '2',
        'lines[1][unitPrice]': '12.50',
        'lines[3][description]': 'Mat hire',
        'lines[3][unitPrice]': '3.00',
        'payment[method]': 'cash',
        'payment[amount]': '28.00',
      });
      const res = await staff.post('/sales').type('form').send(encode(fields));
      assert.equal(res.status, 303, res.text.slice(0, 400));
      const detail = await staff.get(res.headers.location!).expect(200);
      assert.match(detail.text, /Sale WEB-1/);
      assert.match(detail.text, /Yoga class/);
      assert.match(detail.text, /data-testid="sale-total">28.00 GBP/);
      assert.match(detail.text, /recorded: 28.00 GBP/, 'the flash message');
      const sale = await w.t.db('sales').where({ reference: 'WEB-1' }).first();
      assert.equal(Number(sale.total_minor), 2800);
      assert.equal(sale.created_by, `user:${(await w.t.db('users').where({ email: 'staff@example.com' }).first()).id}`);
      assert.equal((await w.t.db('sale_lines').where({ sale_id: sale.id })).length, 2);

      const list = await staff.get('/sales?q=ada').expect(200);
      assert.match(list.text, /WEB-1/);
      const none = await staff.get('/sales?q=nobody').expect(200);
      assert.doesNotMatch(none.text, /WEB-1/);
      const dashboard = await staff.get('/').expect(200);
      assert.match(dashboard.text, /data-testid="today-count-GBP">1</);
    });

    test('invalid input re-renders the form with each message next to its field and the input kept', async () => {
      const form = await staff.get('/sales/new');
      const fields = saleForm(csrfFrom(form), {
        'customer[name]': '',
        'lines[2][description]': 'Towel',
        'lines[2][unitPrice]': 'twelve',
      });
      const res = await staff.post('/sales').type('form').send(encode(fields));
      assert.equal(res.status, 422);
      assert.match(res.text, /The sale was not recorded/);
      assert.match(res.text, /id="customer-name-error">must not be empty</);
      assert.match(res.text, /id="line-2-unitPrice-error">[^<]+</, 'the error sits on row 3 where it was typed');
      assert.match(res.text, /id="line-2-unitPrice" name="lines\[2\]\[unitPrice\]" value="twelve"/);
      assert.match(res.text, /value="Towel"/);
      assert.equal(await w.t.db('sales').where({ org_id: orgId }).count({ n: '*' }).first().then((r) => Number(r?.n)), 1, 'nothing written');
    });

    test('"Add 5 more lines" re-renders with more rows and saves nothing', async () => {
      const form = await staff.get('/sales/new');
      const res = await staff.post('/sales').type('form').send(encode(saleForm(csrfFrom(form), { 'lines[0][description]': 'Kept', addLines: '1' }))).expect(200);
      assert.equal((res.text.match(/name="lines\[\d+\]\[description\]"/g) ?? []).length, 10);
      assert.match(res.text, /value="Kept"/);
    });

    test('the forms do not offer "Paid in Xero" (only the Xero plugin records it) and refuse it when posted anyway', async () => {
      const methodOptions = (html: string, selectId: string) => {
        const select = new RegExp(`<select id="${selectId}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
        assert.ok(select, `the page has #${selectId}`);
        return [...select[1]!.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);
      };
      const why = /payments in Xero are brought back by the Xero plugin when the invoice is paid there; record a payment taken here with the method it was paid by/;
      const form = await staff.get('/sales/new').expect(200);
      const offered = methodOptions(form.text, 'payment-method');
      assert.ok(offered.includes('stripe') && offered.includes('cash'), `the install's other methods are offered: ${offered.join(', ')}`);
      assert.ok(!offered.includes('xero'), `the new sale form leaves xero out: ${offered.join(', ')}`);
      const refused = await staff.post('/sales').type('form').send(encode(saleForm(csrfFrom(form), {
        reference: 'WEB-XERO', 'lines[0][description]': 'Climb', 'lines[0][unitPrice]': '10.00', 'payment[method]': 'xero', 'payment[amount]': '10.00',
      })));
      assert.equal(refused.status, 422);
      assert.match(refused.text, why);
      assert.equal(await w.t.db('sales').where({ reference: 'WEB-XERO' }).first(), undefined, 'nothing written');

      const created = await staff.post('/sales').type('form').send(encode(saleForm(csrfFrom(form), { reference: 'WEB-XERO', 'lines[0][description]': 'Climb', 'lines[0][unitPrice]': '10.00' })));
      assert.equal(created.status, 303, created.text.slice(0, 400));
      const page = await staff.get(created.headers.location!).expect(200);
      assert.ok(!methodOptions(page.text, 'pay-method').includes('xero'), 'the payment form leaves xero out');
      assert.ok(!methodOptions(page.text, 'refund-method').includes('xero'), 'the refund form leaves xero out');
      assert.ok(methodOptions(page.text, 'pay-method').includes('cash'));
      const pay = await staff.post(`${created.headers.location!}/payments`).type('form').send({ _csrf: csrfFrom(page), method: 'xero', amount: '10.00' });
      assert.equal(pay.status, 422);
      assert.match(pay.text, why);
      const sale = await w.t.db('sales').where({ reference: 'WEB-XERO' }).first();
      assert.equal((await w.t.db('payments').where({ sale_id: sale.id })).length, 0, 'no payment recorded');
    });

    test('a refund from the sale page is reviewed, then confirmed; an over-refund is refused with the reason', async () => {
      const sale = await w.t.db('sales').where({ reference: 'WEB-1' }).first();
      const page = await staff.get(`/sales/${sale.id}`).expect(200);
      assert.match(page.text, /data-testid="sale-state"[^>]*>Paid</, 'paid in full, nothing refunded');
      assert.doesNotMatch(page.text, /name="kind" value="full" checked/, 'no refund amount is chosen for the user');
      assert.match(page.text, /Everything not yet refunded \(28.00 GBP\)/);
      const refunds = async () => (await w.t.db('refunds').where({ sale_id: sale.id })).length;

      const noKind = await staff.post(`/sales/${sale.id}/refunds`).type('form').send({ _csrf: csrfFrom(page), amount: '5.00', method: 'cash' });
      assert.equal(noKind.status, 422);
      assert.match(noKind.text, /Choose how much to refund/);
      const tooMuch = await staff.post(`/sales/${sale.id}/refunds`).type('form').send({ _csrf: csrfFrom(page), kind: 'amount', amount: '99.00' });
      assert.ok([409, 422].includes(tooMuch.status), String(tooMuch.status));
      assert.match(tooMuch.text, /alert-error/);

      // Step one: the review says what would be given back, and stores nothing.
      const review = await staff.post(`/sales/${sale.id}/refunds`).type('form').send({ _csrf: csrfFrom(page), kind: 'amount', amount: '5.00', method: 'cash', reason: 'late start' });
      assert.equal(review.status, 200);
      assert.match(review.text, /data-testid="confirm-amount">5.00 GBP/);
      assert.match(review.text, /data-testid="confirm-method">Cash/);
      assert.equal(await refunds(), 0, 'reviewing refunds nothing');
      // Step two: confirmed, it is issued once.
      const ok = await staff.post(`/sales/${sale.id}/refunds`).type('form').send({ _csrf: csrfFrom(review), kind: 'amount', amount: '5.00', method: 'cash', reason: 'late start', confirm: 'yes' });
      assert.equal(ok.status, 303);
      assert.equal(await refunds(), 1);
      const after = await staff.get(`/sales/${sale.id}`).expect(200);
      assert.match(after.text, /data-testid="sale-refunded"[^>]*>5.00 GBP/);
      assert.match(after.text, /late start/);
      assert.match(after.text, /Refunded 5.00 GBP, paid back by Cash/);
      assert.match(after.text, /<td>An amount<\/td><td>Cash<\/td>/, 'the kind and method read as words');
      assert.match(after.text, /data-testid="refunded-as-amount">5.00</, 'the amount refund shows against the lines');
      assert.match(after.text, /data-testid="sale-state"[^>]*>Paid, partly refunded</);
    });

    test('a sale with money outstanding reads unpaid, and the till cannot give back cash it never took', async () => {
      const form = await staff.get('/sales/new').expect(200);
      const created = await staff.post('/sales').type('form').send(encode(saleForm(csrfFrom(form), {
        reference: 'WEB-UNPAID', 'lines[0][description]': 'Party booking', 'lines[0][unitPrice]': '152.99', 'payment[method]': 'cash', 'payment[amount]': '100.00',
      }))).expect(303);
      const page = await staff.get(created.headers.location!).expect(200);
      assert.match(page.text, /data-testid="sale-state"[^>]*>Part paid</, 'not "completed" while 52.99 is owed');
      const saleId = Number(created.headers.location!.split('/').pop());
      const refused = await staff.post(`/sales/${saleId}/refunds`).type('form').send({ _csrf: csrfFrom(page), kind: 'full', method: 'cash' });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /Cash can give back at most 100.00 GBP/);
      assert.equal((await w.t.db('refunds').where({ sale_id: saleId })).length, 0);
      const list = await staff.get('/sales?q=WEB-UNPAID').expect(200);
      assert.match(list.text, /Part paid/);
    });

    test('an overpayment at the desk becomes the customer\'s credit, which pays their next sale; a short credit is refused next to the field', async () => {
      const form = await staff.get('/sales/new').expect(200);
      const sell = async (reference: string) => Number((await staff.post('/sales').type('form').send(encode(saleForm(csrfFrom(form), {
        reference, 'customer[name]': 'Grace Hopper', 'customer[email]': 'grace@example.com', 'lines[0][description]': 'Climbing course', 'lines[0][unitPrice]': '40.00',
      }))).expect(303)).headers.location!.split('/').pop());
      const first = await sell('WEB-OVER-1');
      let page = await staff.get(`/sales/${first}`).expect(200);
      const paid = await staff.post(`/sales/${first}/payments`).type('form').send({ _csrf: csrfFrom(page), method: 'cash', amount: '50.00', providerRef: '' }).expect(303);
      page = await staff.get(paid.headers.location!).expect(200);
      assert.match(page.text, /Payment of 50.00 GBP recorded. 10.00 GBP of it was more than the sale owed and is kept as the customer(?:&#39;|')s credit./);
      assert.match(page.text, /data-testid="payment-to-credit">10.00 GBP to the customer(?:&#39;|')s credit</);
      assert.match(page.text, /data-testid="customer-credit">10.00 GBP</);
      assert.match(page.text, /data-testid="sale-state"[^>]*>Paid</);

      const second = await sell('WEB-OVER-2');
      page = await staff.get(`/sales/${second}`).expect(200);
      assert.match(page.text, /<option value="customer_credit">Customer credit \(10.00 GBP available\)<\/option>/);
      const short = await staff.post(`/sales/${second}/payments`).type('form').send({ _csrf: csrfFrom(page), method: 'customer_credit', amount: '10.01', providerRef: '' });
      assert.equal(short.status, 422);
      assert.match(short.text, /id="pay-amount-error">is more than the customer(?:&#39;|')s credit of 10.00 GBP</);
      await staff.post(`/sales/${second}/payments`).type('form').send({ _csrf: csrfFrom(page), method: 'customer_credit', amount: '10.00', providerRef: '' }).expect(303);
      page = await staff.get(`/sales/${second}`).expect(200);
      assert.match(page.text, /<td>Customer credit<\/td><td><\/td><td class="num">10.00 GBP<\/td>/);
      assert.doesNotMatch(page.text, /data-testid="customer-credit"/, 'all of it spent');
    });

    test('another organisation’s sale is a 404', async () => {
      const other = await seedUser(w.t.db, 'admin', 'other-admin@example.com');
      const outsider = await logIn(w.app, 'other-admin@example.com');
      const sale = await w.t.db('sales').where({ org_id: orgId }).first();
      await outsider.get(`/sales/${sale.id}`).expect(404);
      assert.notEqual(other.orgId, orgId);
    });

    test('admin: create a user, create a token (shown once), revoke it', async () => {
      const admin = await logIn(w.app, 'admin@example.com');
      let page = await admin.get('/users').expect(200);
      const bad = await admin.post('/users').type('form').send({ _csrf: csrfFrom(page), email: 'new@example.com', name: 'New', role: 'staff', password: 'short' });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /at least 12 characters/);
      assert.match(bad.text, /value="new@example.com"/);
      await admin.post('/users').type('form').send({ _csrf: csrfFrom(page), email: 'new@example.com', name: 'New', role: 'staff', password: PASSWORD }).expect(303);
      page = await admin.get('/users').expect(200);
      assert.match(page.text, /Created new@example.com \(staff\)/);

      const created = await admin.post('/users/tokens').type('form').send({ _csrf: csrfFrom(page), name: 'booking system', role: 'staff' }).expect(201);
      const token = /data-testid="new-token"|value="(lb_[^"]+)"/.exec(created.text) && /value="(lb_[A-Za-z0-9_-]{43})"/.exec(created.text)?.[1];
      assert.ok(token, 'the token is on the page once');
      assert.equal(created.headers['cache-control'], 'no-store');
      const listed = await admin.get('/users').expect(200);
      assert.ok(!listed.text.includes(token), 'and never again');
      const row = await w.t.db('api_tokens').where({ name: 'booking system' }).first();
      await admin.post(`/users/tokens/${row.id}/revoke`).type('form').send({ _csrf: csrfFrom(listed) }).expect(303);
      assert.ok((await w.t.db('api_tokens').where({ id: row.id }).first()).revoked_at);
    });

    test('reloading the new-token answer (the same form posted again) creates no second token (issue 14)', async () => {
      const admin = await logIn(w.app, 'admin@example.com');
      const page = await admin.get('/users').expect(200);
      const formId = /name="formId" value="([0-9a-f-]{36})"/.exec(page.text)?.[1];
      assert.ok(formId, 'the token form carries a one-off id');
      const form = { _csrf: csrfFrom(page), formId, name: 'till export', role: 'accountant' };
      const first = await admin.post('/users/tokens').type('form').send(form).expect(201);
      assert.match(first.text, /data-testid="new-token"/);
      const again = await admin.post('/users/tokens').type('form').send(form).expect(200);
      assert.doesNotMatch(again.text, /data-testid="new-token"/, 'no token shown');
      assert.match(again.text, /That form was already used: its token was created once/);
      assert.equal((await w.t.db('api_tokens').where({ name: 'till export' })).length, 1, 'one token');
      const next = /name="formId" value="([0-9a-f-]{36})"/.exec(again.text)?.[1];
      assert.ok(next && next !== formId, 'a fresh form makes a new token');
      await admin.post('/users/tokens').type('form').send({ ...form, _csrf: csrfFrom(again), formId: next }).expect(201);
      assert.equal((await w.t.db('api_tokens').where({ name: 'till export' })).length, 2);
    });
  });
}
