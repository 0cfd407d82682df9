// Payouts and fees over time as an inline SVG (server-rendered, no library): one bar per arrival month
// for the amount paid out and one for fees, in the organisation's most common payout currency. The page
// shows the same figures as a table for screen readers and for anyone who prefers numbers. Colours are
// presentation attributes: the host's CSP (style-src 'self') blocks an inline <style> (caught by the
// browser test: the bars lost their colours).
// The bars stretch to the page's width (no fixed aspect ratio) and the axes are HTML text beside and under
// them — values on the y axis at 0, half and the top of a round scale, the months under their bars — so a
// single month still reads as an amount (issue 14: one month showed two bars and no value at all), and
// labels keep the page's size on a phone.
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
  months: { month: string; label: string; year: string | null; paidMinor: number; feesMinor: number; paid: string; fees: string }[];
  /** The y axis, top first: the top of the scale, half of it, zero, in the currency's money style. */
  yTicks: string[];
  svg: string;
}

const SLOT = 30;
const H = 100;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The smallest 1, 2 or 5 × 10ⁿ minor units at or above `value` that halves into whole minor units. */
export function roundScale(value: number): number {
  if (value <= 1) return 2;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return Math.max(2, step * magnitude);
  return 10 * magnitude;
}

export function payoutChart(payouts: readonly ChartInput[]): PayoutChart {
  const counts = new Map<string, number>();
  for (const p of payouts) counts.set(p.currency, (counts.get(p.currency) ?? 0) + 1);
  const currency = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  if (!currency) return { currency: null, months: [], yTicks: [], svg: '' };
  const byMonth = new Map<string, { paidMinor: number; feesMinor: number }>();
  for (const p of payouts.filter((x) => x.currency === currency)) {
    const m = byMonth.get(p.arrivalDate.slice(0, 7)) ?? { paidMinor: 0, feesMinor: 0 };
    m.paidMinor += p.amountMinor;
    m.feesMinor += p.feeMinor;
    byMonth.set(p.arrivalDate.slice(0, 7), m);
  }
  const sorted = [...byMonth].sort(([a], [b]) => a.localeCompare(b)).slice(-12);
  const months = sorted.map(([month, v], i) => {
    const [year, mm] = month.split('-');
    // The year under the first month and under each January.
    const showYear = i === 0 || mm === '01';
    return { month, label: MONTHS[Number(mm) - 1] ?? month, year: showYear ? year ?? null : null, ...v, paid: formatMinor(v.paidMinor, currency), fees: formatMinor(v.feesMinor, currency) };
  });
  const top = roundScale(Math.max(0, ...months.map((m) => Math.max(m.paidMinor, m.feesMinor))));
  const W = SLOT * months.length;
  const y = (v: number) => H - (Math.max(0, v) / top) * H;
  const bar = SLOT / 3;
  const parts = months.map((m, i) => {
    const x = i * SLOT + SLOT / 6;
    return `<rect class="paid" fill="#2f6fb3" x="${x.toFixed(1)}" y="${y(m.paidMinor).toFixed(2)}" width="${bar.toFixed(1)}" height="${(H - y(m.paidMinor)).toFixed(2)}"><title>${m.label} ${m.month.slice(0, 4)}: paid out ${m.paid} ${currency}</title></rect>`
      + `<rect class="fees" fill="#b35900" x="${(x + bar).toFixed(1)}" y="${y(m.feesMinor).toFixed(2)}" width="${bar.toFixed(1)}" height="${(H - y(m.feesMinor)).toFixed(2)}"><title>${m.label} ${m.month.slice(0, 4)}: fees ${m.fees} ${currency}</title></rect>`;
  });
  const grid = [0, H / 2, H].map((gy) => `<line x1="0" y1="${gy}" x2="${W}" y2="${gy}" stroke="#c8ced6" vector-effect="non-scaling-stroke"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" class="payout-bars" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-labelledby="payout-chart-title">`
    + `<title id="payout-chart-title">Payouts and fees per month (${currency}), on a scale of 0 to ${formatMinor(top, currency)}</title>`
    + `${grid}${parts.join('')}</svg>`;
  return { currency, months, yTicks: [formatMinor(top, currency), formatMinor(top / 2, currency), formatMinor(0, currency)], svg };
}
