// Records synced per hour as an inline SVG bar chart, drawn on the server: no library and no script, so it
// works with JavaScript off and under the CSP. The view renders the bars from this model and puts the same
// figures in a table next to it, which is what a screen reader reads (the SVG has a summary as its name).
// The bars stretch to the panel's width (the SVG keeps no aspect ratio); the hour labels and the scale are
// HTML text under and above it, so they stay at the page's reading size at any width (issue 14: drawn
// inside a fixed viewBox they shrank to 6 px on a phone and grew on a wide screen).
import { formatLocal } from './time';

export interface HourlyBar {
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
  /** "14:00" in the organisation's time zone. */
  hour: string;
  /** The full local date and hour, for the table and the bar's tooltip. */
  label: string;
}

/** One label slot per bar: the hour under every sixth bar (left-aligned at its start) and under the last (right-aligned at its end). */
export interface HourlyTick {
  text: string;
  align: 'start' | 'end';
}

export interface HourlyChart {
  /** The SVG's own units: 10 per hour, 100 high. */
  width: number;
  height: number;
  /** The baseline's y. */
  baseline: number;
  /** The busiest hour's count: the top of the scale. */
  max: number;
  total: number;
  bars: HourlyBar[];
  ticks: HourlyTick[];
  /** One sentence: total, busiest hour. */
  summary: string;
}

const SLOT = 10;
const HEIGHT = 100;
/** Room above the tallest bar, so it does not touch the panel's edge. */
const TOP = 5;
/** Every this many hours a label (a day of 24 gets 00/06/12/18 in its own time, plus the last). */
const TICK_EVERY = 6;

export function hourlyChart(hourly: { hourStart: number; count: number }[], timeZone: string): HourlyChart {
  const n = Math.max(hourly.length, 1);
  const width = n * SLOT;
  const max = Math.max(1, ...hourly.map((h) => h.count));
  const baseline = HEIGHT;
  const plot = baseline - TOP;
  const hourOf = (ms: number) => formatLocal(ms, timeZone).slice(-5);
  const bars = hourly.map((h, i) => {
    const height = h.count === 0 ? 0 : Math.max(2, Math.round((h.count / max) * plot));
    return { x: i * SLOT + 1.5, y: baseline - height, width: SLOT - 3, height, count: h.count, hour: hourOf(h.hourStart), label: formatLocal(h.hourStart, timeZone) };
  });
  const total = hourly.reduce((s, h) => s + h.count, 0);
  const busiest = bars.reduce<HourlyBar | null>((best, b) => (b.count > (best?.count ?? 0) ? b : best), null);
  const summary = total === 0
    ? 'No records synced in the last 24 hours.'
    : `${total} record${total === 1 ? '' : 's'} synced in the last 24 hours; the busiest hour was ${busiest!.hour} with ${busiest!.count}.`;
  // The last label only when the one before it is far enough away not to touch it.
  const ticks = bars.map((b, i): HourlyTick => {
    if (i % TICK_EVERY === 0 && n - i > TICK_EVERY / 2) return { text: b.hour, align: 'start' };
    if (i === n - 1) return { text: b.hour, align: 'end' };
    return { text: '', align: 'start' };
  });
  return { width, height: HEIGHT, baseline, max, total, bars, ticks, summary };
}
