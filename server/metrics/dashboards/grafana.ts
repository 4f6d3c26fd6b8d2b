// Grafana 10+ dashboard JSON (schemaVersion 39) from small panel descriptions, so the five
// dashboards of siem/grafana/ (definitions.ts) read as what they show, not as layout noise. Data
// sources are import-time inputs (`${DS_PROMETHEUS}`, `${DS_ELASTICSEARCH}`), as Grafana's own
// "Export for sharing externally" writes them; panels are packed left to right in rows of 24.

export const SCHEMA_VERSION = 39;
export const PROMETHEUS = { type: 'prometheus', uid: `\${DS_PROMETHEUS}` } as const;
export const ELASTICSEARCH = { type: 'elasticsearch', uid: `\${DS_ELASTICSEARCH}` } as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface PromQuery {
  readonly expr: string;
  readonly legend?: string;
  /** One value per series at the end of the range (stats, tables, maps); default: a range query. */
  readonly instant?: boolean;
  readonly format?: 'time_series' | 'table' | 'heatmap';
}

export interface EsQuery {
  /** Lucene query over the ECS index (siem/ecs): field names as mapped there. */
  readonly query: string;
  readonly terms?: { readonly field: string; readonly size: number };
  /** A table of the matching documents, newest first. */
  readonly rawData?: number;
}

export interface PanelSpec {
  readonly type: 'timeseries' | 'stat' | 'bargauge' | 'table' | 'heatmap' | 'geomap' | 'text' | 'row';
  readonly title: string;
  readonly description?: string;
  readonly w: number;
  readonly h: number;
  readonly prom?: readonly PromQuery[];
  readonly es?: readonly EsQuery[];
  readonly unit?: string;
  /** Threshold steps above the base colour: [value, colour]. */
  readonly thresholds?: ReadonlyArray<readonly [number, string]>;
  /** Draw the thresholds as lines (time series) — the objectives on a latency graph. */
  readonly thresholdLines?: boolean;
  readonly bars?: boolean;
  readonly stacked?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  readonly mappings?: JsonObject[];
  readonly markdown?: string;
  readonly options?: JsonObject;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly panels: readonly PanelSpec[];
  readonly variables?: readonly JsonObject[];
  readonly time?: string;
}

const BASE_COLOUR = 'green';

function fieldConfig(p: PanelSpec): JsonObject {
  const steps: Json[] = [{ color: BASE_COLOUR, value: null }];
  for (const [value, color] of p.thresholds ?? []) steps.push({ color, value });
  const defaults: JsonObject = {
    thresholds: { mode: 'absolute', steps },
    color: { mode: p.type === 'timeseries' ? 'palette-classic' : 'thresholds' },
    mappings: p.mappings ?? [],
  };
  if (p.unit) defaults.unit = p.unit;
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.decimals !== undefined) defaults.decimals = p.decimals;
  if (p.type === 'timeseries') {
    defaults.custom = {
      drawStyle: p.bars ? 'bars' : 'line',
      lineWidth: 1,
      fillOpacity: p.bars || p.stacked ? 80 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: p.stacked ? 'normal' : 'none', group: 'A' },
      thresholdsStyle: { mode: p.thresholdLines ? 'line' : 'off' },
    };
  }
  return { defaults, overrides: [] };
}

function options(p: PanelSpec): JsonObject {
  const reduce = { calcs: ['lastNotNull'], fields: '', values: false };
  switch (p.type) {
    case 'timeseries':
      return {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'stat':
      return {
        reduceOptions: reduce,
        colorMode: 'value',
        graphMode: 'none',
        justifyMode: 'auto',
        orientation: 'auto',
        textMode: 'auto',
      };
    case 'bargauge':
      return {
        reduceOptions: reduce,
        orientation: 'horizontal',
        displayMode: 'gradient',
        showUnfilled: true,
        valueMode: 'color',
        namePlacement: 'auto',
        sizing: 'auto',
      };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
    case 'heatmap':
      return {
        calculate: false,
        cellGap: 1,
        color: { mode: 'scheme', scheme: 'Oranges', steps: 64, exponent: 0.5, fill: 'dark-orange' },
        yAxis: { axisPlacement: 'left', unit: p.unit ?? 's' },
        rowsFrame: { layout: 'auto' },
        tooltip: { mode: 'single', yHistogram: true },
        legend: { show: true },
      };
    case 'text':
      return { mode: 'markdown', content: p.markdown ?? '' };
    default:
      return {};
  }
}

function promTarget(q: PromQuery, refId: string): JsonObject {
  return {
    refId,
    datasource: PROMETHEUS,
    editorMode: 'code',
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: !q.instant,
    instant: Boolean(q.instant),
    format: q.format ?? 'time_series',
  };
}

function esTarget(q: EsQuery, refId: string): JsonObject {
  if (q.rawData) {
    return {
      refId,
      datasource: ELASTICSEARCH,
      query: q.query,
      timeField: '@timestamp',
      metrics: [{ id: '1', type: 'raw_data', settings: { size: String(q.rawData) } }],
      bucketAggs: [],
    };
  }
  return {
    refId,
    datasource: ELASTICSEARCH,
    query: q.query,
    timeField: '@timestamp',
    metrics: [{ id: '1', type: 'count' }],
    bucketAggs: [
      {
        id: '2',
        type: 'terms',
        field: q.terms?.field ?? 'event.action',
        settings: { size: String(q.terms?.size ?? 10), order: 'desc', orderBy: '_count', min_doc_count: '1' },
      },
    ],
  };
}

function panel(p: PanelSpec, id: number, gridPos: JsonObject): JsonObject {
  if (p.type === 'row') return { type: 'row', id, title: p.title, collapsed: false, gridPos, panels: [] };
  const refIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const targets: Json[] = [
    ...(p.prom ?? []).map((q, i) => promTarget(q, refIds[i]!)),
    ...(p.es ?? []).map((q, i) => esTarget(q, refIds[i]!)),
  ];
  const out: JsonObject = {
    type: p.type,
    id,
    title: p.title,
    gridPos,
    options: { ...options(p), ...(p.options ?? {}) },
  };
  if (p.description) out.description = p.description;
  if (p.type !== 'text') {
    out.datasource = p.es ? ELASTICSEARCH : PROMETHEUS;
    out.fieldConfig = fieldConfig(p);
    out.targets = targets;
  }
  return out;
}

/** Packs panels left to right, wrapping at 24 columns; a row always starts a new line. */
function layout(panels: readonly PanelSpec[]): JsonObject[] {
  const out: JsonObject[] = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  panels.forEach((p, i) => {
    if (p.type === 'row' || x + p.w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    out.push(panel(p, i + 1, { h: p.h, w: p.w, x, y }));
    x += p.w;
    lineHeight = Math.max(lineHeight, p.h);
    if (p.type === 'row') {
      y += p.h;
      x = 0;
      lineHeight = 0;
    }
  });
  return out;
}

const PANEL_NAMES: Record<string, string> = {
  timeseries: 'Time series',
  stat: 'Stat',
  bargauge: 'Bar gauge',
  table: 'Table',
  heatmap: 'Heatmap',
  geomap: 'Geomap',
  text: 'Text',
};

export function dashboard(d: DashboardSpec): JsonObject {
  const usesEs = d.panels.some((p) => p.es);
  const inputs: Json[] = [
    {
      name: 'DS_PROMETHEUS',
      label: 'Prometheus',
      description: 'The Prometheus that scrapes viworks-server /metrics (and viworksd where exported)',
      type: 'datasource',
      pluginId: 'prometheus',
      pluginName: 'Prometheus',
    },
  ];
  if (usesEs) {
    inputs.push({
      name: 'DS_ELASTICSEARCH',
      label: 'Elasticsearch (ViWorkS ECS index)',
      description: 'The index the HTTPS shipping path writes (siem.format ecs; siem/ecs/index-template.json)',
      type: 'datasource',
      pluginId: 'elasticsearch',
      pluginName: 'Elasticsearch',
    });
  }
  const panelTypes = [...new Set(d.panels.map((p) => p.type).filter((t) => t !== 'row'))].sort();
  return {
    __inputs: inputs,
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      ...(usesEs
        ? [{ type: 'datasource', id: 'elasticsearch', name: 'Elasticsearch', version: '1.0.0' }]
        : []),
      ...panelTypes.map((t) => ({ type: 'panel', id: t, name: PANEL_NAMES[t] ?? t, version: '' })),
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: d.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [
      {
        title: 'ViWorkS dashboards',
        type: 'dashboards',
        tags: ['viworks'],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    panels: layout(d.panels),
    refresh: '1m',
    schemaVersion: SCHEMA_VERSION,
    tags: ['viworks', ...d.tags],
    templating: { list: [...(d.variables ?? [])] },
    time: { from: d.time ?? 'now-24h', to: 'now' },
    timepicker: {},
    timezone: '',
    title: d.title,
    uid: d.uid,
    version: 1,
    weekStart: '',
  };
}

/** A multi-value gateway picker from a metric's `gateway` label (All = every gateway). */
export function gatewayVariable(metric: string): JsonObject {
  const query = `label_values(${metric}, gateway)`;
  return {
    name: 'gateway',
    label: 'Gateway',
    type: 'query',
    datasource: PROMETHEUS,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: {},
    options: [],
    refresh: 2,
    regex: '',
    sort: 1,
    hide: 0,
  };
}
