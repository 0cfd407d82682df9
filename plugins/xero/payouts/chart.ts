// Payouts and fees over time as an inline SVG (server-rendered, no library): one bar per arrival month
// for the amount paid out and one for fees, in the organisation's most common payout currency. The page
// shows the same figures as a table for screen readers and for anyone who prefers numbers. Colours are
// presentation attributes: the host's CSP (style-src 'self') blocks an inline <style> (caught by the
// browser test: the bars lost their colours).
import { money } from '../../../server/plugins/contract';

const { formatMinor } = money;

export interface ChartInput {
  arrivalDate: string;
  currency: string;
  amountMinor: number;
  feeMinor: number;
  status: string;
}

export interface PayoutChart {
  currency: string | null;
  months: { month: string; paidMinor: number; feesMinor: number; paid: string; fees: string }[];
  svg: string;
}

const W = 640;
const H = 200;
const PAD = 30;

export function payoutChart(payouts: readonly ChartInput[]): PayoutChart {
  const counts = new Map<string, number>();
  for (const p of payouts) counts.set(p.currency, (counts.get(p.currency) ?? 0) + 1);
  const currency = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  if (!currency) return { currency: null, months: [], svg: '' };
  const byMonth = new Map<string, { paidMinor: number; feesMinor: number }>();
  for (const p of payouts.filter((x) => x.currency === currency)) {
    const m = byMonth.get(p.arrivalDate.slice(0, 7)) ?? { paidMinor: 0, feesMinor: 0 };
    m.paidMinor += p.amountMinor;
    m.feesMinor += p.feeMinor;
    byMonth.set(p.arrivalDate.slice(0, 7), m);
  }
  const months = [...byMonth].sort(([a], [b]) => a.localeCompare(b)).slice(-12)
    .map(([month, v]) => ({ month, ...v, paid: formatMinor(v.paidMinor, currency), fees: formatMinor(v.feesMinor, currency) }));
  const max = Math.max(1, ...months.map((m) => Math.max(m.paidMinor, m.feesMinor, 0)));
  const slot = (W - PAD * 2) / Math.max(1, months.length);
  const bar = Math.max(2, slot / 3);
  const y = (v: number) => H - PAD - (Math.max(0, v) / max) * (H - PAD * 2);
  const parts = months.map((m, i) => {
    const x = PAD + i * slot + slot / 6;
    return `<rect class="paid" fill="#2f6fb3" x="${x.toFixed(1)}" y="${y(m.paidMinor).toFixed(1)}" width="${bar.toFixed(1)}" height="${(H - PAD - y(m.paidMinor)).toFixed(1)}"><title>${m.month}: paid out ${m.paid}</title></rect>`
      + `<rect class="fees" fill="#d9822b" x="${(x + bar).toFixed(1)}" y="${y(m.feesMinor).toFixed(1)}" width="${bar.toFixed(1)}" height="${(H - PAD - y(m.feesMinor)).toFixed(1)}"><title>${m.month}: fees ${m.fees}</title></rect>`
      + `<text x="${(x + bar).toFixed(1)}" y="${H - PAD + 14}" text-anchor="middle" font-size="10">${m.month}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="payout-chart-title">`
    + `<title id="payout-chart-title">Payouts and fees per month (${currency})</title>`
    + `<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#888"/>${parts.join('')}</svg>`;
  return { currency, months, svg };
}
