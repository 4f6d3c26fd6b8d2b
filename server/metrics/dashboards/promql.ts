// What a dashboard's PromQL refers to: the metric names (and the label names matched on them),
// so a test can hold every panel to the metrics the backend and the daemon really register. Not a
// PromQL parser — promtool checks the syntax — but a careful reader of the names: strings,
// durations, groupings and function calls are taken out first, what remains are series names.

/** Grafana's built-in and dashboard variables, replaced by something PromQL accepts. */
export function withoutGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '.*');
}

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
  'atan2',
  'inf',
  'nan',
]);

export interface SeriesRef {
  readonly name: string;
  /** Label names in the matcher written right after the name (`name{a="x"}`). */
  readonly labels: readonly string[];
}

/** The series an expression selects, with the labels it matches on each. */
export function seriesOf(expr: string): SeriesRef[] {
  const text = withoutGrafanaVariables(expr)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ');
  const out: SeriesRef[] = [];
  const token = /(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)/g;
  for (const m of text.matchAll(token)) {
    const name = m[1]!;
    const rest = text.slice(m.index + name.length);
    const next = rest.trimStart()[0];
    if (AGGREGATIONS.has(name) || KEYWORDS.has(name) || next === '(') continue;
    // Inside a matcher: a label name (followed by =, !=, =~, !~), not a series.
    if (/^\s*(=~|!~|!=|=)/.test(rest)) continue;
    const matcher = /^\{([^}]*)\}/.exec(rest);
    const labels = matcher
      ? [...matcher[1]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!)
      : [];
    out.push({ name, labels });
  }
  return out;
}

/** The label names an expression groups by (`by (…)`, `without (…)`). */
export function groupingLabels(expr: string): string[] {
  const out: string[] = [];
  for (const m of withoutGrafanaVariables(expr).matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const l of m[1]!.split(',')) if (l.trim()) out.push(l.trim());
  }
  return out;
}

/** `label_values(metric, label)` of a template variable: its metric and label. */
export function labelValuesOf(query: string): { metric: string; label: string } | null {
  const m = /^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(
    query.trim(),
  );
  return m ? { metric: m[1]!, label: m[2]! } : null;
}
