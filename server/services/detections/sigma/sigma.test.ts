// The committed Sigma files are exactly what the rule definitions generate; each parses as YAML
// with an independent parser (eemeli/yaml), has the keys the Sigma 2.0 specification and its JSON
// schemas require (SigmaHQ/sigma-specification: sigma-detection-rule-schema.json,
// sigma-correlation-rules-schema.json), and selects exactly the events the engine's selectors do.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import { parse, parseAllDocuments } from 'yaml';
import { type AuditEvent, type AuditFacts, buildAuditEvent } from '../../../../core/audit/event.js';
import { strictValidator } from '../../../../core/schema/strict.js';
import { matches } from '../match.js';
import type { DetectionRule, Selector } from '../rule.js';
import { detectionRules } from '../rules/index.js';
import { DEFAULT_DETECTION_SETTINGS } from '../settings.js';
import { fieldsUsed } from './ecs-pipeline.js';
import { ECS_PIPELINE, generatedEcsPipeline, generatedSigmaFiles, SIGMA_DIR } from './generate.js';
import { sigmaDocuments, timespan } from './render.js';
import { uuidV5 } from './uuid.js';
import { toYaml, type YamlValue } from './yaml.js';

const RULES = detectionRules(DEFAULT_DETECTION_SETTINGS);
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
const Title = Type.String({ minLength: 1, maxLength: 256 });
const Name = Type.String({ pattern: '^[a-z][a-z0-9_]{1,255}$' });
const Status = Type.Enum(['stable', 'test', 'experimental', 'deprecated', 'unsupported']);
const Level = Type.Enum(['informational', 'low', 'medium', 'high', 'critical']);
const Strings = Type.Array(Type.String({ minLength: 2 }), { minItems: 1 });
const Count = Type.Integer({ minimum: 0 });

/** What alerts: full meta information. */
const Meta = {
  title: Title,
  id: Type.String({ pattern: UUID }),
  name: Name,
  status: Status,
  description: Type.String({ minLength: 1, maxLength: 65535 }),
  author: Type.String({ minLength: 1 }),
  falsepositives: Strings,
  level: Level,
};
const Logsource = Type.Object(
  { product: Type.Literal('viworks'), service: Type.Literal('audit'), definition: Type.String() },
  { additionalProperties: false },
);
const Detection = Type.Object({ condition: Type.String({ minLength: 1 }) }, { additionalProperties: true });
const Correlation = Type.Object(
  {
    type: Type.Enum(['event_count', 'value_count', 'temporal', 'temporal_ordered']),
    rules: Type.Array(Name, { minItems: 1, uniqueItems: true }),
    'group-by': Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
    timespan: Type.String({ pattern: '^[1-9][0-9]*[smhd]$', maxLength: 10 }),
    condition: Type.Object(
      {
        gt: Type.Optional(Count),
        gte: Type.Optional(Count),
        lt: Type.Optional(Count),
        lte: Type.Optional(Count),
        eq: Type.Optional(Count),
        field: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
  },
  { additionalProperties: false },
);
const closedDoc = { additionalProperties: false };
const schemas = {
  detection: strictValidator(Type.Object({ ...Meta, logsource: Logsource, detection: Detection }, closedDoc)),
  correlation: strictValidator(Type.Object({ ...Meta, correlation: Correlation }, closedDoc)),
  // Documents inside a correlation: "only the outermost correlation rule may define meta information".
  innerDetection: strictValidator(
    Type.Object(
      {
        title: Title,
        id: Type.String({ pattern: UUID }),
        name: Name,
        logsource: Logsource,
        detection: Detection,
      },
      closedDoc,
    ),
  ),
  innerCorrelation: strictValidator(
    Type.Object(
      { title: Title, id: Type.String({ pattern: UUID }), name: Name, correlation: Correlation },
      closedDoc,
    ),
  ),
};

type Doc = Record<string, unknown>;

function parsedFile(text: string): Doc[] {
  const docs = parseAllDocuments(text);
  assert.ok(Array.isArray(docs), 'a YAML stream');
  for (const d of docs) assert.deepEqual(d.errors, []);
  return docs.map((d) => d.toJSON() as Doc);
}

function checkDocument(doc: Doc, outermost: boolean, where: string): void {
  const kind = 'correlation' in doc ? 'correlation' : 'detection';
  const v = outermost
    ? schemas[kind]
    : kind === 'correlation'
      ? schemas.innerCorrelation
      : schemas.innerDetection;
  const valid: boolean = v.check(doc);
  assert.ok(valid, `${where}: ${safeErrors(() => v.parse(doc))}`);
  if (kind === 'correlation') {
    const c = doc.correlation as { type: string; condition: Record<string, unknown> };
    const ops = Object.keys(c.condition).filter((k) => k !== 'field');
    assert.equal(ops.length, 1, `${where}: one condition criterion`);
    assert.equal('field' in c.condition, c.type === 'value_count', `${where}: field exactly for value_count`);
  } else {
    const det = doc.detection as Record<string, unknown>;
    const ids = (det.condition as string)
      .split(/\s+/)
      .filter((w) => !['and', 'or', 'not', '(', ')'].includes(w));
    for (const id of ids) assert.ok(id in det && id !== 'condition', `${where}: condition names ${id}`);
  }
}

function safeErrors(fn: () => unknown): string {
  try {
    fn();
    return '';
  } catch (err) {
    return String((err as { details?: unknown }).details ?? err);
  }
}

describe('Sigma export', () => {
  it('the committed files are exactly the generated ones (regenerate: sigma/generate.ts)', () => {
    const generated = generatedSigmaFiles();
    const committed = readdirSync(SIGMA_DIR).filter((n) => n.endsWith('.yml'));
    assert.deepEqual(committed.sort(), [...generated.keys()].sort());
    for (const [name, text] of generated) {
      assert.equal(readFileSync(join(SIGMA_DIR, name), 'utf8'), text, `${name} differs from its rule`);
    }
  });

  it('the ECS pipeline maps every field the rules use, as siem/ecs/mapping.json does', () => {
    const text = generatedEcsPipeline();
    assert.equal(readFileSync(ECS_PIPELINE, 'utf8'), text, 'regenerate: sigma/generate.ts');
    const pipeline = parse(text) as { transformations: { type: string; mapping: Record<string, string> }[] };
    const [t] = pipeline.transformations;
    assert.equal(t?.type, 'field_name_mapping');
    assert.deepEqual(Object.keys(t?.mapping ?? {}), fieldsUsed(RULES));
    assert.deepEqual(fieldsUsed(RULES), [
      'action',
      'asn',
      'component',
      'error_msg',
      'gateway',
      'result',
      'src_ip',
      'tls_ja4',
      'user_id',
    ]);
    const ecs = JSON.parse(readFileSync(join(SIGMA_DIR, '..', 'ecs', 'mapping.json'), 'utf8'));
    for (const [native, path] of Object.entries(t?.mapping ?? {}))
      assert.equal(path, ecs.fields[native].path);
    assert.equal(t?.mapping.src_ip, 'source.ip');
  });

  it('every file parses and every document has the keys Sigma requires; ids and names are unique', () => {
    const ids = new Set<string>();
    for (const [file, text] of generatedSigmaFiles()) {
      assert.match(file, /^[a-z0-9_]{7,66}\.yml$/, 'file names: 10 to 70 characters, lowercase, digits, _');
      const docs = parsedFile(text);
      const names = new Set(docs.map((d) => d.name as string));
      assert.equal(names.size, docs.length, `${file}: names unique`);
      // A correlation's own rules are its building blocks; a file without one holds independent rules.
      const chained = docs[0] !== undefined && 'correlation' in docs[0];
      docs.forEach((doc, i) => {
        checkDocument(doc, i === 0 || !chained, `${file}#${i}`);
        assert.ok(!ids.has(doc.id as string), `${file}#${i}: id unique`);
        ids.add(doc.id as string);
        const refs = (doc.correlation as { rules?: string[] } | undefined)?.rules ?? [];
        for (const r of refs)
          assert.ok(names.has(r) && r !== doc.name, `${file}#${i}: rule ${r} defined in the file`);
      });
      // The alerting document is first and is the only one with a level.
      assert.equal(
        docs.filter((d) => 'level' in d).length,
        docs[0] && 'correlation' in docs[0] ? 1 : docs.length,
      );
    }
  });

  it('maps each shape to the Sigma construct of the specification', () => {
    const byId = new Map(RULES.map((r) => [r.id, sigmaDocuments(r)]));
    const corr = (id: string, i = 0) =>
      ((byId.get(id) ?? [])[i] as { correlation: Record<string, YamlValue> }).correlation;
    assert.deepEqual(corr('spa_probe_burst'), {
      type: 'event_count',
      rules: ['viworks_spa_probe_burst_event'],
      'group-by': ['gateway'],
      timespan: '1m',
      condition: { gte: 20 },
    });
    assert.deepEqual(corr('ovpn_handshake_burst').condition, { gt: 30 });
    assert.equal(corr('otp_stuffing').type, 'temporal');
    assert.deepEqual(corr('otp_stuffing', 1).condition, { gte: 5 });
    assert.deepEqual(corr('otp_stuffing', 2), {
      type: 'value_count',
      rules: ['viworks_otp_stuffing_event'],
      'group-by': ['user_id'],
      timespan: '10m',
      condition: { field: 'asn', gte: 3 },
    });
    const spa = byId.get('spa_without_tls')?.[0] as Doc;
    assert.equal(spa.status, 'unsupported');
    assert.match(spa.description as string, /cannot express "not followed by".*alert\.spa_without_tls/);
    const levels = (id: string) => byId.get(id)?.map((d) => d.level);
    assert.deepEqual(levels('policy_relaxation'), ['critical', 'critical']);
    assert.deepEqual(levels('pin_mismatch'), ['high', 'critical']);
    assert.deepEqual(levels('tls_fingerprint_unknown'), ['medium', 'high', 'high']);
  });

  it('selects exactly the events the engine selects (a small Sigma evaluator over a corpus)', () => {
    let checked = 0;
    for (const rule of RULES) {
      for (const [doc, selector] of selectorsOf(rule)) {
        for (const event of CORPUS) {
          assert.equal(
            sigmaMatches(doc, event),
            matches(selector, event),
            `${rule.id} ${doc.name} ${event.action}`,
          );
          checked += 1;
        }
        // Each selector selects something in the corpus and refuses something: the check has teeth.
        assert.ok(
          CORPUS.some((e) => matches(selector, e)),
          `${doc.name} selects some corpus event`,
        );
      }
    }
    assert.ok(checked > 300);
  });
});

describe('Sigma helpers', () => {
  it('uuidV5 matches RFC 9562 (www.example.com in the DNS namespace)', () => {
    assert.equal(
      uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('timespans use the largest unit that divides them', () => {
    assert.deepEqual(
      [timespan(60_000), timespan(600_000), timespan(90_000), timespan(7_200_000)],
      ['1m', '10m', '90s', '2h'],
    );
  });

  it('the YAML writer round-trips values a YAML reader could take for something else', () => {
    const tricky = [
      'yes',
      'No',
      'on',
      'null',
      '~',
      '1e5',
      '010',
      '1:30',
      '0x1f',
      '.inf',
      'a: b',
      '#x',
      ' lead',
      'trail ',
      '',
      '-x',
      'say "hi"',
      'back\\slash',
      'tab\there',
      'é',
      '[a]',
      '{b}',
      '*ref',
      '&anchor',
      '!tag',
      '%p',
      '@a',
      '`b`',
      'line\nbreak',
      '3057f15e-9661-5751-9f5a-bc4ca500d852',
      '12345678-1234-5e78-9234-123456789012',
    ];
    const doc = {
      list: tricky,
      map: Object.fromEntries(tricky.filter(Boolean).map((t, i) => [t, i])),
      n: 3,
      t: true,
      z: null,
      e: [],
    };
    assert.deepEqual(parse(toYaml(doc)), doc);
    assert.deepEqual(
      parse(toYaml(doc), { version: '1.1' }),
      doc,
      'also for a YAML 1.1 reader (PyYAML, pySigma)',
    );
  });
});

// ── A Sigma evaluator for the subset the export uses ──────────────────────────────────────────
type SigmaDoc = { name: string; detection: Record<string, unknown> };

/** The detection documents of a rule with the engine selector each renders. */
function selectorsOf(rule: DetectionRule): [SigmaDoc, Selector][] {
  const s = rule.shape;
  const docs = sigmaDocuments(rule).filter((d) => 'detection' in d) as unknown as SigmaDoc[];
  const selectors =
    s.kind === 'each' ? s.triggers.map((t) => t.select) : s.kind === 'absence' ? [s.open] : [s.select];
  assert.equal(docs.length, selectors.length);
  return docs.map((d, i) => [d, selectors[i] as Selector]);
}

function valueMatches(fieldMod: string, want: unknown, event: AuditEvent): boolean {
  const [field, mod] = fieldMod.split('|') as [keyof AuditEvent, string | undefined];
  const have = event[field];
  const wants = Array.isArray(want) ? want : [want];
  if (wants.length === 1 && wants[0] === null) return have === null || have === undefined;
  if (have === null || have === undefined) return false;
  const h = String(have).toLowerCase();
  return wants.some((w) => {
    const x = String(w).toLowerCase();
    return mod === 'startswith' ? h.startsWith(x) : mod === 'contains' ? h.includes(x) : h === x;
  });
}

function sigmaMatches(doc: SigmaDoc, event: AuditEvent): boolean {
  const det = doc.detection;
  const ident = (name: string) =>
    Object.entries(det[name] as Record<string, unknown>).every(([f, w]) => valueMatches(f, w, event));
  const [first, ...rest] = (det.condition as string).split(' and ');
  return ident(first as string) && rest.every((part) => !ident(part.replace(/^not /, '')));
}

const CTX = { env: 'test', site: 'lab', tenant_id: 't1' };
const facts: AuditFacts[] = [];
for (const action of [
  'spa.accepted',
  'spa.rejected',
  'spa.replayed',
  'tls.handshake',
  'tls.fingerprint_unknown',
  'ovpn.connect',
  'ovpn.handshake_failed',
  'ovpn.disconnect',
  'auth.otp_verify',
  'auth.otp_deny',
  'policy.relaxation_requested',
  'policy.relaxation_approved',
  'policy.relaxation_rejected',
  'client.dns_leak_detected',
  'client.route_leak_detected',
  'client.pin_stale',
  'client.pin_mismatch',
  'auth.login',
]) {
  for (const component of ['gateway', 'backend', 'client', 'daemon', 'admin'] as const) {
    for (const result of ['success', 'failure', 'denied'] as const) {
      facts.push({ component, action, result, src_ip: '192.0.2.1', user_id: 'u-000000000000000000000001' });
    }
  }
}
facts.push(
  {
    component: 'backend',
    action: 'tls.handshake',
    result: 'failure',
    tls_ja4: 't12d1209h2_d34a8e72043a_b39be8c56a14',
  },
  {
    component: 'backend',
    action: 'tls.handshake',
    result: 'failure',
    tls_ja4: 't13d1516h2_8daaf6152771_e5627efa2ab1',
  },
  {
    component: 'gateway',
    action: 'tls.handshake',
    result: 'failure',
    error_msg: 'SSL routines::UNSUPPORTED PROTOCOL',
  },
  { component: 'gateway', action: 'spa.accepted', result: 'success' },
  { component: 'backend', action: 'auth.otp_verify', result: 'failure' },
  {
    component: 'client',
    action: 'client.pin_mismatch',
    result: 'failure',
    error_msg: 'backend: presented spki sha256 x',
  },
  { component: 'client', action: 'client.pin_mismatch', result: 'failure', error_msg: 'Backend: x' },
);
const CORPUS: AuditEvent[] = facts.map((f) => buildAuditEvent(CTX, f));
