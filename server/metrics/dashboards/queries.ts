// What the dashboards' queries share: Grafana's range variables, the gateway picker's matcher, and
// the shapes of a quantile, a share under an objective and a row.
import type { PanelSpec } from './grafana.js';

/** Rates over Grafana's own interval (at least four scrapes). */
export const R = '$__rate_interval';
/** Totals over the dashboard's time range. */
export const RANGE = '$__range';
/** The gateway picker's matcher (All = `.*`). */
export const GW = 'gateway=~"$gateway"';

export const row = (title: string): PanelSpec => ({ type: 'row', title, w: 24, h: 1 });

/** A latency quantile of a histogram, across every instance. */
export const quantile = (q: number, metric: string, filter = '') =>
  `histogram_quantile(${q}, sum by (le) (rate(${metric}_bucket${filter}[${R}])))`;

/** Share of observations at or under `le` over the dashboard's range. */
export const within = (metric: string, le: string) =>
  `sum(increase(${metric}_bucket{le="${le}"}[${RANGE}])) / sum(increase(${metric}_count[${RANGE}]))`;
