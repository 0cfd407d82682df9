// The booking-money record kinds of issue 17 in the fault test (faults.test.ts): what the organisation is set
// up with (Xero accounts, the Cheque method, the settings that map them), what the test sold of each kind,
// and what must be in Xero afterwards, read back from the emulator: each voucher's sale credits the voucher
// liability, each redemption is one Payment out of it, the expired voucher's write-off is ONE manual journal,
// each cheque one Payment into the cheque account, each tip and service charge one line on its own account,
// each cancelled booking one invoice of the money kept, paid by its deposit.
import request from 'supertest';
import { addOrganisationMethod } from '../../../server/domain/organisationMethods';
import { testPaymentMethods } from '../../support/paymentMethods';
import { setMappings, type SyncFixture } from './syncFixture';

export const ACCOUNTS = { voucher: '837', tip: '835', serviceCharge: '260', cheque: '615', expiredVouchers: '260', cancellation: '260' } as const;
/** A voucher sold, what a redemption takes from it, a tip and a service charge (pence). */
export const PENCE = { voucher: 2000, expiredVoucher: 1500, redemption: 500, tip: 150, serviceCharge: 50 } as const;

/** Accounts in Xero's chart, the organisation's Cheque method, and the Xero settings that map each kind. */
export async function setUpMoneyKinds(f: SyncFixture): Promise<void> {
  const emu = request(f.emu.url);
  for (const account of [
    { Code: ACCOUNTS.voucher, Name: 'Gift vouchers held', Type: 'CURRLIAB', TaxType: 'NONE', EnablePaymentsToAccount: true },
    { Code: ACCOUNTS.tip, Name: 'Tips held for staff', Type: 'CURRLIAB', TaxType: 'NONE' },
    { Code: ACCOUNTS.cheque, Name: 'Cheque clearing', Type: 'BANK', BankAccountNumber: '00000615' },
  ]) await emu.post(`/_emulator/tenants/${f.tenantId}/accounts`).send(account).expect(201);
  await addOrganisationMethod(f.x.host.deps.db, testPaymentMethods, f.org.orgId, { label: 'Cheque' }, 'fault test', Date.now());
  await setMappings(f.x, f.org.orgId, [
    { kind: 'voucher_account', key: '', value: ACCOUNTS.voucher },
    { kind: 'voucher_expiry_account', key: '', value: ACCOUNTS.expiredVouchers },
    { kind: 'tip_account', key: '', value: ACCOUNTS.tip },
    { kind: 'service_charge_account', key: '', value: ACCOUNTS.serviceCharge },
    { kind: 'method_account', key: 'cheque', value: ACCOUNTS.cheque },
    { kind: 'cancellation_account', key: '', value: ACCOUNTS.cancellation },
  ]);
}

/** What the test sold of each kind (ids in the booking system). */
export interface MoneyKinds {
  /** Sales of a voucher (PENCE.voucher), and the one sold two years ago (PENCE.expiredVoucher) and written off. */
  voucherSales: number[];
  expired: { saleId: number; code: string } | null;
  redemptions: number[];
  cheques: number[];
  tipSales: number[];
  serviceChargeSales: number[];
  cancelled: { saleId: number; keptPence: number }[];
}

export const noMoneyKinds = (): MoneyKinds => ({ voucherSales: [], expired: null, redemptions: [], cheques: [], tipSales: [], serviceChargeSales: [], cancelled: [] });

type Doc = Record<string, unknown>;
interface Line { AccountCode: string; TaxType: string; LineAmount: number }
const pounds = (pence: number) => pence / 100;

/** Each check's offenders (empty when it holds), read from the emulator's books. */
export async function moneyKindProblems(f: SyncFixture, kinds: MoneyKinds): Promise<Record<string, unknown[]>> {
  const invoices = (await f.books<Doc>('invoices')).filter((i) => i.Status !== 'DELETED' && i.Status !== 'VOIDED');
  const invoiceOf = (saleId: number) => invoices.filter((i) => i.InvoiceNumber === `LB-${saleId}`);
  const linesOf = (saleId: number) => (invoiceOf(saleId)[0]?.LineItems ?? []) as Line[];
  const payments = (await f.books<Doc>('payments')).filter((p) => p.Status !== 'DELETED');
  const paymentsOf = (id: number) => payments.filter((p) => String(p.Reference ?? '').split(' ')[0] === `LB-P-${id}`);
  const journals = await f.books<Doc>('manualjournals');
  const expiredAmount = pounds(PENCE.expiredVoucher);

  const oneLine = (saleId: number, account: string, amount: number, tax?: string) => {
    const on = linesOf(saleId).filter((l) => l.AccountCode === account && l.LineAmount === amount && (tax === undefined || l.TaxType === tax));
    return on.length === 1 ? [] : [{ saleId, lines: linesOf(saleId) }];
  };
  const oneInto = (id: number, account: string, amount?: number) => {
    const found = paymentsOf(id);
    const ok = found.length === 1 && (found[0]!.Account as Doc).Code === account && (amount === undefined || found[0]!.Amount === amount);
    return ok ? [] : [{ paymentId: id, found: found.map((p) => [(p.Account as Doc).Code, p.Amount]) }];
  };
  return {
    "voucher sales: one invoice line, on the voucher liability, outside VAT": kinds.voucherSales.flatMap((id) =>
      linesOf(id).length === 1 ? oneLine(id, ACCOUNTS.voucher, id === kinds.expired?.saleId ? expiredAmount : pounds(PENCE.voucher), 'NONE') : [{ saleId: id, lines: linesOf(id) }]),
    'redemptions: one Payment each, out of the voucher liability': kinds.redemptions.flatMap((id) => oneInto(id, ACCOUNTS.voucher, pounds(PENCE.redemption))),
    'the expired voucher: one manual journal, liability to revenue': journals.length === 1 && kinds.expired
      && String(journals[0]!.Narration).includes(kinds.expired.code) && journals[0]!.Status === 'POSTED'
      && JSON.stringify((journals[0]!.JournalLines as Line[]).map((l) => [l.AccountCode, l.LineAmount]))
        === JSON.stringify([[ACCOUNTS.voucher, expiredAmount], [ACCOUNTS.expiredVouchers, -expiredAmount]])
      ? [] : journals.map((j) => [j.Narration, j.Status, j.JournalLines]),
    'cheques: one Payment each, into the cheque account': kinds.cheques.flatMap((id) => oneInto(id, ACCOUNTS.cheque)),
    'tips: one line each, on the tips account, outside VAT': kinds.tipSales.flatMap((id) => oneLine(id, ACCOUNTS.tip, pounds(PENCE.tip), 'NONE')),
    'service charges: one line each, on their account': kinds.serviceChargeSales.flatMap((id) => oneLine(id, ACCOUNTS.serviceCharge, pounds(PENCE.serviceCharge))),
    'cancelled bookings: one invoice of the money kept, on the cancellation account, paid by the deposit': kinds.cancelled.flatMap(({ saleId, keptPence }) => {
      const found = invoiceOf(saleId);
      const inv = found[0];
      const ok = found.length === 1 && inv!.Total === pounds(keptPence) && inv!.AmountDue === 0
        && JSON.stringify(linesOf(saleId).map((l) => l.AccountCode)) === JSON.stringify([ACCOUNTS.cancellation]);
      return ok ? [] : [{ saleId, keptPence, found: found.map((i) => [i.Total, i.AmountDue, i.Status]) }];
    }),
  };
}
