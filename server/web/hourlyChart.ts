// Records synced per hour as an inline SVG bar chart, drawn on the server: no library and no script, so it
// works with JavaScript off and under the CSP. The view renders the bars from this model and puts the same
// figures in a table next to it, which is what a screen reader reads (the SVG has a summary as its name).
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

export interface HourlyChart {
  width: number;
  height: number;
  /** The baseline's y. */
  baseline: number;
  max: number;
  total: number;
  bars: HourlyBar[];
  /** Hour labels under every sixth bar. */
  ticks: { x: number; text: string }[];
  /** One sentence: total, busiest hour. */
  summary: string;
}

const WIDTH = 480;
const HEIGHT = 140;
const TOP = 16;
const BOTTOM = 24;

export function hourlyChart(hourly: { hourStart: number; count: number }[], timeZone: string): HourlyChart {
  const n = Math.max(hourly.length, 1);
  const slot = WIDTH / n;
  const max = Math.max(1, ...hourly.map((h) => h.count));
  const baseline = HEIGHT - BOTTOM;
  const plot = baseline - TOP;
  const hourOf = (ms: number) => formatLocal(ms, timeZone).slice(-5);
  const bars = hourly.map((h, i) => {
    const height = h.count === 0 ? 0 : Math.max(2, Math.round((h.count / max) * plot));
    return {
      x: Math.round(i * slot + slot * 0.15),
      y: baseline - height,
      width: Math.max(1, Math.round(slot * 0.7)),
      height,
      count: h.count,
      hour: hourOf(h.hourStart),
      label: formatLocal(h.hourStart, timeZone),
    };
  });
  const total = hourly.reduce((s, h) => s + h.count, 0);
  const busiest = bars.reduce<HourlyBar | null>((best, b) => (b.count > (best?.count ?? 0) ? b : best), null);
  const summary = total === 0
    ? 'No records synced in the last 24 hours.'
    : `${total} record${total === 1 ? '' : 's'} synced in the last 24 hours; the busiest hour was ${busiest!.hour} with ${busiest!.count}.`;
  const ticks = bars.filter((_, i) => i % 6 === 0 || i === bars.length - 1).map((b) => ({ x: b.x + b.width / 2, text: b.hour }));
  return { width: WIDTH, height: HEIGHT, baseline, max, total, bars, ticks, summary };
}
