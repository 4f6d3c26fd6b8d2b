// The Grafana dashboards in siem/grafana/: each file is what definitions.ts renders (no drift), a
// Grafana 10+ document whose panels use only the declared data source inputs and fit the grid,
// and every PromQL expression selects only metrics the backend or the daemon registers — names
// taken from the real registries — with only labels those metrics have. promtool parses every
// expression (as recording rules); the ES panels use only fields of the ECS mapping.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Registry } from 'prom-client';
import { packageRoot } from '../../../core/package-root.js';
import { createInstruments } from '../../../daemon/localapi/metrics-instruments.js';
import { createBackendMetrics } from '../backend-metrics.js';
import { requirePromtool } from '../testing.js';
import { renderDashboards } from './definitions.js';
import { groupingLabels, labelValuesOf, seriesOf, withoutGrafanaVariables } from './promql.js';
import { GRAFANA_DIR } from './write.js';

type Panel = Record<string, unknown> & {
  type: string;
  title: string;
  id: number;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<Record<string, unknown>>;
};
type Dashboard = Record<string, unknown> & {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  __inputs: Array<{ name: string; pluginId: string }>;
  templating: { list: Array<Record<string, unknown>> };
};

/** Label names Prometheus adds to every scraped series. */
const TARGET_LABELS = ['instance', 'job'];

/** Every series name the registries expose, with its label names. */
function registeredSeries(registries: Registry[]): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray()) {
      const m = metric as unknown as { name: string; labelNames?: string[]; buckets?: number[] };
      const labels = new Set([...(m.labelNames ?? []), ...TARGET_LABELS]);
      if (m.buckets) {
        series.set(`${m.name}_bucket`, new Set([...labels, 'le']));
        series.set(`${m.name}_sum`, labels);
        series.set(`${m.name}_count`, labels);
      } else {
        series.set(m.name, labels);
      }
    }
  }
  return series;
}

function knownSeries(): Map<string, Set<string>> {
  const backend = createBackendMetrics();
  // The daemon's instruments as DaemonMetrics loads them on the first scrape.
  return registeredSeries([backend.registry, createInstruments('0.0.0').registry]);
}

/** What is wrong with one expression against the known series (empty: nothing). */
function problemsOf(expr: string, known: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  const refs = seriesOf(expr);
  if (refs.length === 0) problems.push('selects no series');
  const usable = new Set(TARGET_LABELS);
  for (const ref of refs) {
    const labels = known.get(ref.name);
    if (!labels) {
      problems.push(`unknown metric ${ref.name}`);
      continue;
    }
    for (const l of labels) usable.add(l);
    for (const l of ref.labels) if (!labels.has(l)) problems.push(`${ref.name} has no label ${l}`);
  }
  for (const l of groupingLabels(expr))
    if (!usable.has(l)) problems.push(`grouping by ${l}, which no series has`);
  return problems;
}

function loadDashboards(): Record<string, Dashboard> {
  const files = readdirSync(GRAFANA_DIR).filter((f) => f.endsWith('.json'));
  return Object.fromEntries(
    files.map((f) => [f.slice(0, -'.json'.length), JSON.parse(readFileSync(join(GRAFANA_DIR, f), 'utf8'))]),
  );
}

const promTargets = (d: Dashboard) =>
  d.panels.flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => typeof t.expr === 'string')
      .map((t) => ({ panel: p.title, expr: t.expr as string })),
  );

describe('Grafana dashboards (siem/grafana)', () => {
  const rendered = renderDashboards();
  const files = loadDashboards();

  it('are the five of pki-siem §4.6, each file exactly what definitions.ts renders', () => {
    assert.deepEqual(Object.keys(files).sort(), [
      'auth-funnel',
      'gateway-health',
      'geo-asn',
      'handshake-metrics',
      'policy-changes',
    ]);
    for (const [name, doc] of Object.entries(rendered)) {
      assert.deepEqual(
        files[name],
        doc,
        `${name}.json differs: node --import tsx server/metrics/dashboards/write.ts`,
      );
    }
  });

  it('are Grafana 10+ documents: unique uids, data sources only as declared inputs, panels on the grid', () => {
    const uids = new Set<string>();
    for (const [name, d] of Object.entries(files)) {
      assert.ok(d.schemaVersion >= 38, `${name}: schemaVersion ${d.schemaVersion}`);
      assert.match(d.uid, /^viworks-[a-z-]{1,31}$/);
      assert.ok(!uids.has(d.uid), `${name}: uid ${d.uid} twice`);
      uids.add(d.uid);
      const inputs = new Set(d.__inputs.map((i) => `\${${i.name}}`));
      assert.ok(inputs.has(`\${DS_PROMETHEUS}`), `${name}: no DS_PROMETHEUS input`);
      const ids = new Set<number>();
      const cells = new Set<string>();
      for (const p of d.panels) {
        assert.ok(!ids.has(p.id), `${name}: panel id ${p.id} twice`);
        ids.add(p.id);
        const { x, y, w, h } = p.gridPos;
        assert.ok(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, `${name}/${p.title}: off the grid`);
        for (let cx = x; cx < x + w; cx++)
          for (let cy = y; cy < y + h; cy++) {
            assert.ok(!cells.has(`${cx},${cy}`), `${name}/${p.title}: overlaps another panel`);
            cells.add(`${cx},${cy}`);
          }
        const sources = [p.datasource, ...(p.targets ?? []).map((t) => t.datasource as Panel['datasource'])];
        for (const ds of sources)
          if (ds) assert.ok(inputs.has(ds.uid), `${name}/${p.title}: data source ${ds.uid}`);
        if (p.type !== 'row' && p.type !== 'text')
          assert.ok((p.targets ?? []).length > 0, `${name}/${p.title}: no query`);
      }
      for (const v of d.templating.list) {
        const ds = v.datasource as Panel['datasource'];
        if (ds) assert.ok(inputs.has(ds.uid), `${name}/$${String(v.name)}: data source`);
      }
    }
  });

  it('query only metrics the backend and the daemon register, with labels those metrics have', () => {
    const known = knownSeries();
    const problems: string[] = [];
    let count = 0;
    for (const [name, d] of Object.entries(files)) {
      for (const t of promTargets(d)) {
        count++;
        for (const p of problemsOf(t.expr, known)) problems.push(`${name}/${t.panel}: ${p}`);
      }
      for (const v of d.templating.list) {
        const query = (v.query as { query?: string } | undefined)?.query ?? '';
        const lv = labelValuesOf(query);
        assert.ok(lv, `${name}/$${String(v.name)}: not a label_values() query`);
        if (!known.get(lv.metric)?.has(lv.label)) problems.push(`${name}/$${String(v.name)}: ${query}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(count >= 40, `only ${count} expressions found`);
  });

  it('would catch a misspelled metric, an unknown label and a grouping no series has (near misses)', () => {
    const known = knownSeries();
    assert.deepEqual(problemsOf('sum(rate(viworks_auth_funnel_totl[5m]))', known), [
      'unknown metric viworks_auth_funnel_totl',
    ]);
    assert.deepEqual(problemsOf('viworks_gateway_up{gw="a"}', known), ['viworks_gateway_up has no label gw']);
    assert.deepEqual(problemsOf('sum by (user_id) (viworks_sessions_active)', known), [
      'grouping by user_id, which no series has',
    ]);
    assert.deepEqual(problemsOf('viworks_client_spa_to_tls_seconds{le="0.4"}', known), [
      'unknown metric viworks_client_spa_to_tls_seconds',
    ]);
    assert.deepEqual(
      problemsOf(
        'histogram_quantile(0.95, sum by (le) (rate(viworks_daemon_spa_to_tls_seconds_bucket{le!="+Inf"}[$__rate_interval]))) * 1e3',
        known,
      ),
      [],
    );
    assert.deepEqual(
      seriesOf('sum(rate(a_total{x=~"$gateway"}[1h] offset 1w)) / time() - b').map((s) => s.name),
      ['a_total', 'b'],
    );
  });

  it('parse as PromQL (promtool check rules)', (t) => {
    if (!requirePromtool(t)) return;
    const exprs = Object.values(files).flatMap((d) => promTargets(d).map((x) => x.expr));
    const rules = {
      groups: [
        {
          name: 'viworks-dashboards',
          rules: exprs.map((expr, i) => ({
            record: `viworks:dashboard_check:${i}`,
            expr: withoutGrafanaVariables(expr),
          })),
        },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'viw-dash-'));
    try {
      const file = join(dir, 'rules.yml');
      writeFileSync(file, JSON.stringify(rules)); // JSON is YAML
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(`${r.stdout}`, new RegExp(`SUCCESS: ${exprs.length} rules found`));
      // Near miss: a broken expression is refused.
      writeFileSync(
        file,
        JSON.stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum(rate(a[5m])' }] }] }),
      );
      assert.notEqual(spawnSync('promtool', ['check', 'rules', file]).status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('query the SIEM index only on fields of the ECS mapping', () => {
    const mapping = JSON.parse(readFileSync(join(packageRoot(), 'siem', 'ecs', 'mapping.json'), 'utf8'));
    const paths = new Set<string>();
    const walk = (o: unknown): void => {
      if (Array.isArray(o)) o.forEach(walk);
      else if (o && typeof o === 'object')
        for (const [k, v] of Object.entries(o)) {
          if (k === 'path' && typeof v === 'string') paths.add(v);
          else walk(v);
        }
    };
    walk(mapping);
    let esTargets = 0;
    for (const [name, d] of Object.entries(files)) {
      for (const p of d.panels) {
        for (const t of p.targets ?? []) {
          if (typeof t.query !== 'string') continue;
          esTargets++;
          const fields = [...t.query.matchAll(/([A-Za-z_@][A-Za-z0-9_.@]*):/g)].map((m) => m[1]!);
          for (const agg of (t.bucketAggs as Array<{ field?: string }>) ?? [])
            if (agg.field) fields.push(agg.field);
          for (const f of fields)
            assert.ok(paths.has(f), `${name}/${p.title}: ${f} is not an ECS field of siem/ecs`);
        }
      }
    }
    assert.ok(esTargets >= 3);
  });
});
