// The ECS mapping file (siem/ecs/mapping.json) and index template are checked against the code, so
// neither can drift: every path the code emits is listed with its ECS 8.17 type, and the reverse.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../package-root.js';
import { ACTION_CLASSES, PREFIX_CLASSES } from './actions.js';
import { ECS_DERIVED_PATHS, ECS_FIELD_PATHS, ECS_SEVERITY, ECS_VERSION, recordToEcs } from './ecs.js';
import { NATIVE_FIELDS } from './native.js';
import { randomRecords } from './testing/random-records.js';

interface FieldEntry {
  path: string;
  ecs?: { type: string; level: string };
  custom?: { type: string };
  pki_siem_8_3: string | null;
  deviation?: string;
}
interface MappingFile {
  ecs_version: string;
  fields: Record<string, FieldEntry>;
  derived: Record<string, { ecs: { type: string; level: string }; how: string }>;
}

const root = packageRoot();
const mapping = JSON.parse(readFileSync(join(root, 'siem/ecs/mapping.json'), 'utf8')) as MappingFile;
const template = JSON.parse(readFileSync(join(root, 'siem/ecs/index-template.json'), 'utf8')) as {
  index_patterns: string[];
  template: { mappings: { dynamic: string; properties: Record<string, unknown> } };
};

/** ECS 8.17 event.category → the event.type values ECS expects with it (schemas/event.yml). */
const ECS_EXPECTED_TYPES: Record<string, readonly string[]> = {
  api: [
    'access',
    'admin',
    'allowed',
    'change',
    'creation',
    'deletion',
    'denied',
    'end',
    'info',
    'start',
    'user',
  ],
  authentication: ['start', 'end', 'info'],
  iam: ['admin', 'change', 'creation', 'deletion', 'group', 'info', 'user'],
  session: ['start', 'end', 'info'],
};

/** Leaf paths of a document; arrays are leaves (ECS keyword arrays such as event.category). */
function leaves(value: unknown, prefix = ''): Array<[string, unknown]> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value]];
}

function templateFields(props: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props) as Array<
    [string, { type?: string; properties?: Record<string, unknown> }]
  >) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v.properties) Object.assign(out, templateFields(v.properties, path));
    else out[path] = v.type!;
  }
  return out;
}

const typeOf = (path: string): string => {
  const field = Object.values(mapping.fields).find((f) => f.path === path);
  const entry = field ? (field.ecs ?? field.custom) : mapping.derived[path]?.ecs;
  assert.ok(entry, `${path} is in mapping.json`);
  return entry.type;
};

describe('ECS mapping file', () => {
  it('lists exactly the code’s field paths and derived fields, for ECS 8.17', () => {
    assert.equal(mapping.ecs_version, ECS_VERSION);
    assert.deepEqual(Object.keys(mapping.fields).sort(), [...NATIVE_FIELDS].sort());
    for (const field of NATIVE_FIELDS)
      assert.equal(mapping.fields[field]!.path, ECS_FIELD_PATHS[field], field);
    assert.deepEqual(Object.keys(mapping.derived).sort(), [...ECS_DERIVED_PATHS].sort());
  });

  it('ECS fields carry their ECS type; our own are under viworks.* and nowhere else', () => {
    for (const [field, entry] of Object.entries(mapping.fields)) {
      if (entry.path.startsWith('viworks.')) {
        assert.ok(entry.custom && !entry.ecs, `${field}: custom`);
      } else {
        assert.ok(entry.ecs && !entry.custom, `${field}: an ECS field`);
        assert.match(entry.ecs.level, /^(core|extended)$/);
      }
    }
  });

  it('every path a document holds is listed, and every value has its listed type', () => {
    const listed = new Set([...Object.values(ECS_FIELD_PATHS), ...ECS_DERIVED_PATHS]);
    const seen = new Set<string>();
    for (const record of randomRecords(500, 7)) {
      for (const [path, value] of leaves(recordToEcs(record))) {
        assert.ok(listed.has(path), `${path} is in mapping.json`);
        seen.add(path);
        const values = Array.isArray(value) ? value : [value];
        for (const v of values) {
          const type = typeOf(path);
          if (type === 'long') assert.ok(Number.isInteger(v), `${path}: long`);
          else if (type === 'date') assert.ok(typeof v === 'string' && !Number.isNaN(Date.parse(v)), path);
          else assert.equal(typeof v, 'string', `${path}: ${type}`);
        }
      }
    }
    assert.deepEqual(
      [...listed].filter((p) => !seen.has(p)),
      [],
      'every listed path was emitted',
    );
  });

  it('names every departure from pki-siem §8.3, and only those', () => {
    for (const [field, entry] of Object.entries(mapping.fields)) {
      const differs = entry.pki_siem_8_3 !== null && entry.pki_siem_8_3 !== entry.path;
      assert.equal(Boolean(entry.deviation), differs, `${field}: deviation noted iff the path differs`);
    }
  });

  it('the index template maps exactly those paths, with the same types, and refuses others', () => {
    const expected: Record<string, string> = {};
    for (const path of [...Object.values(ECS_FIELD_PATHS), ...ECS_DERIVED_PATHS])
      expected[path] = typeOf(path);
    assert.deepEqual(templateFields(template.template.mappings.properties), expected);
    assert.equal(template.template.mappings.dynamic, 'strict');
  });
});

describe('ECS values', () => {
  it('event.category and event.type are allowed ECS values, and type fits its category', () => {
    for (const cls of [...Object.values(ACTION_CLASSES), ...Object.values(PREFIX_CLASSES)]) {
      for (const category of cls.ecsCategory) {
        for (const type of cls.ecsType)
          assert.ok(ECS_EXPECTED_TYPES[category]?.includes(type), `${category}/${type}`);
      }
    }
  });

  it('outcome, severity and duration follow ECS while our exact values stay beside them', () => {
    const [r] = randomRecords(1, 3);
    const base = { ...r!, event: { ...r!.event, duration_ms: 1500 } };
    for (const [result, outcome] of [
      ['success', 'success'],
      ['failure', 'failure'],
      ['denied', 'failure'],
      ['error', 'failure'],
    ] as const) {
      const doc = recordToEcs({ ...base, event: { ...base.event, result } }) as {
        event: { outcome: string; duration: number };
        viworks: { result: string; duration_ms: number };
      };
      assert.equal(doc.event.outcome, outcome);
      assert.equal(doc.viworks.result, result);
      assert.equal(doc.event.duration, 1_500_000_000);
      assert.equal(doc.viworks.duration_ms, 1500);
    }
    assert.deepEqual(Object.values(ECS_SEVERITY), [2, 3, 4, 5, 6, 7]);
  });
});
