// OCSF documents carry the attributes their class requires, with consistent ids, and no key the
// OCSF 1.8.0 schema does not define for that class or object (testing/ocsf-1.8.0-attributes.json,
// extracted from the schema); the mapping file (siem/ocsf/mapping.json) is checked against the code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../package-root.js';
import {
  ACTION_CLASSES,
  classifyAction,
  DEFAULT_CLASS,
  type OcsfClassUid,
  PREFIX_CLASSES,
} from './actions.js';
import type { ShippedRecord } from './native.js';
import {
  OCSF_ADMIN_ACTOR,
  OCSF_CLASS_PLACES,
  OCSF_CLASSES,
  OCSF_COMMON_PLACES,
  OCSF_SEVERITY,
  OCSF_VERSION,
  recordToOcsf,
} from './ocsf.js';
import { randomRecords } from './testing/random-records.js';

const root = packageRoot();
const mapping = JSON.parse(readFileSync(join(root, 'siem/ocsf/mapping.json'), 'utf8'));
const schema = JSON.parse(
  readFileSync(join(root, 'core/siem/testing/ocsf-1.8.0-attributes.json'), 'utf8'),
) as {
  classes: Record<string, string[]>;
  objects: Record<string, string[]>;
};

const CLASS_FILE: Record<OcsfClassUid, string> = {
  0: 'base_event',
  3001: 'account_change',
  3002: 'authentication',
  4014: 'tunnel_activity',
  6003: 'api_activity',
};
/** The OCSF object each nested path holds (`*`: any array position). */
const OBJECT_AT: Record<string, string> = {
  metadata: 'metadata',
  'metadata.product': 'product',
  'metadata.product.feature': 'feature',
  'metadata.tags.*': 'key_value_object',
  'metadata.reporter': 'reporter',
  'ja4_fingerprint_list.*': 'ja4_fingerprint',
  user: 'user',
  src_endpoint: 'network_endpoint',
  dst_endpoint: 'network_endpoint',
  'src_endpoint.autonomous_system': 'autonomous_system',
  'src_endpoint.location': 'location',
  session: 'session',
  device: 'device',
  tunnel_interface: 'network_interface',
  traffic: 'network_traffic',
  actor: 'actor',
  'actor.user': 'user',
  api: 'api',
  'resources.*': 'resource_details',
  service: 'service',
};

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every key below the top level belongs to the OCSF object at its path (`unmapped` is free-form). */
function checkObjects(value: unknown, path: string, problems: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v) => {
      checkObjects(v, `${path}.*`, problems);
    });
    return;
  }
  if (!isObject(value)) return;
  const object = OBJECT_AT[path];
  if (!object) {
    problems.push(`${path}: no OCSF object expected here`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (!schema.objects[object]!.includes(key))
      problems.push(`${path}.${key}: not an attribute of ${object}`);
    checkObjects(v, `${path}.${key}`, problems);
  }
}

function checkDocument(record: ShippedRecord): string[] {
  const doc = recordToOcsf(record) as Doc;
  const problems: string[] = [];
  const classUid = doc.class_uid as OcsfClassUid;
  const cls = OCSF_CLASSES[classUid];
  const classAttributes = schema.classes[CLASS_FILE[classUid]]!;
  for (const [key, v] of Object.entries(doc)) {
    if (!classAttributes.includes(key)) problems.push(`${key}: not an attribute of ${CLASS_FILE[classUid]}`);
    else if (key !== 'unmapped') checkObjects(v, key, problems);
  }
  const required = [
    'activity_id',
    'category_uid',
    'class_uid',
    'metadata',
    'severity_id',
    'time',
    'type_uid',
  ];
  if (classUid === 3001 || classUid === 3002) required.push('user');
  if (classUid === 6003) required.push('actor', 'api');
  for (const key of required) if (!(key in doc)) problems.push(`${key}: required, missing`);
  const metadata = doc.metadata as Doc;
  if (metadata.version !== OCSF_VERSION) problems.push('metadata.version');
  if (!isObject(metadata.product) || metadata.product.name !== 'ViWorkS') problems.push('metadata.product');
  if (metadata.sequence !== record.seq) problems.push('metadata.sequence is not seq');
  if (metadata.uid !== `${record.event.tenant_id}-${record.seq}`) problems.push('metadata.uid');
  if (doc.category_uid !== cls.categoryUid) problems.push('category_uid does not fit the class');
  if (!((doc.activity_id as number) in cls.activities)) problems.push('activity_id not of the class');
  if (doc.type_uid !== classUid * 100 + (doc.activity_id as number)) problems.push('type_uid');
  if (doc.time !== Date.parse(record.event.timestamp)) problems.push('time');
  if (doc.severity_id !== OCSF_SEVERITY[record.event.severity][0]) problems.push('severity_id');
  if (doc.status_id !== (record.event.result === 'success' ? 1 : 2)) problems.push('status_id');
  if (classUid === 6003 && !isObject((doc.api as Doc | undefined) ?? null)) problems.push('api');
  if (classUid === 6003 && record.event.src_ip !== null && !isObject(doc.src_endpoint))
    problems.push('src_endpoint');
  const user = doc.user as Doc | undefined;
  if (user && !('uid' in user || 'name' in user)) problems.push('user needs a uid or a name');
  return problems;
}

describe('OCSF documents', () => {
  const records = randomRecords(2000, 11);

  it('have the required attributes, consistent ids, and only attributes OCSF 1.8.0 defines', () => {
    const classesSeen = new Set<number>();
    for (const record of records) {
      assert.deepEqual(checkDocument(record), [], `${record.event.action} seq ${record.seq}`);
      classesSeen.add(classifyAction(record.event.action).classUid);
    }
    assert.deepEqual([...classesSeen].sort(), [0, 3001, 3002, 4014, 6003], 'every class was exercised');
  });

  it('puts a field where its class has a place for it, and in unmapped where it has none', () => {
    const [r] = randomRecords(1, 21);
    const event = {
      ...r!.event,
      src_ip: '192.0.2.7',
      user_id: 'u-0123456789abcdef01234567',
      cmd: 'u-aaaaaaaaaaaaaaaaaaaaaaaa',
    };
    const auth = recordToOcsf({
      ...r!,
      event: { ...event, action: 'auth.login', component: 'backend' },
    }) as Doc;
    assert.equal((auth.src_endpoint as Doc).ip, '192.0.2.7');
    assert.deepEqual(auth.user, { uid: event.user_id });
    assert.equal((auth.unmapped as Doc).cmd, event.cmd);
    const admin = recordToOcsf({
      ...r!,
      event: { ...event, action: 'admin.user_lock', component: 'admin' },
    }) as Doc;
    assert.deepEqual(admin.actor, { user: { uid: event.cmd } });
    assert.equal(admin.activity_name, 'Lock');
    const base = recordToOcsf({ ...r!, event: { ...event, action: 'gateway.node_command' } }) as Doc;
    assert.equal(base.class_uid, 0);
    assert.equal((base.unmapped as Doc).src_ip, '192.0.2.7');
    assert.equal(base.activity_name, 'gateway.node_command', 'Other carries the source-specific name');
    const failedLogin = recordToOcsf({
      ...r!,
      event: { ...event, action: 'auth.login', user_id: null },
    }) as Doc;
    assert.deepEqual(failedLogin.user, { name: 'unknown', type_id: 0, type: 'Unknown' });
  });

  it('puts the gateway in metadata.reporter and a JA4 in Tunnel Activity’s JA4+ list, else unmapped', () => {
    const [r] = randomRecords(1, 23);
    const { gateway: _g, tls_ja4: _j, ...bare } = r!.event;
    const ja4 = 't13d1516h2_8daaf6152771_e5627efa2ab1';
    const event = { ...bare, gateway: 'gw-paris-1', tls_ja4: ja4 };
    const tunnel = recordToOcsf({ ...r!, event: { ...event, action: 'bootstrap.issue' } }) as Doc;
    assert.deepEqual((tunnel.metadata as Doc).reporter, { name: 'gw-paris-1' });
    assert.deepEqual(tunnel.ja4_fingerprint_list, [{ value: ja4, type_id: 1, type: 'JA4' }]);
    assert.equal((tunnel.unmapped as Doc | undefined)?.tls_ja4, undefined);
    const auth = recordToOcsf({ ...r!, event: { ...event, action: 'auth.login' } }) as Doc;
    assert.equal((auth.unmapped as Doc).tls_ja4, ja4);
    assert.equal('ja4_fingerprint_list' in auth, false);
    // Without the extensions, nothing of them appears: no reporter, no JA4 list, no unmapped key.
    for (const action of ['bootstrap.issue', 'auth.login', 'gateway.node_command']) {
      const doc = recordToOcsf({ ...r!, event: { ...bare, action } }) as Doc;
      const text = JSON.stringify(doc);
      assert.equal('reporter' in (doc.metadata as Doc), false, action);
      assert.ok(!text.includes('ja4') && !text.includes('"gateway"'), action);
    }
  });
});

describe('OCSF mapping file', () => {
  const ids = (c: { classUid: number; activityId: number }) => ({
    class_uid: c.classUid,
    activity_id: c.activityId,
  });

  it('names the same classes, activities, action table and placements as the code', () => {
    assert.equal(mapping.ocsf_version, OCSF_VERSION);
    assert.deepEqual(
      mapping.classes,
      JSON.parse(
        JSON.stringify(
          Object.fromEntries(
            Object.entries(OCSF_CLASSES).map(([uid, c]) => [
              uid,
              {
                name: c.name,
                category_uid: c.categoryUid,
                category_name: c.categoryName,
                activities: c.activities,
              },
            ]),
          ),
        ),
      ),
    );
    assert.deepEqual(
      mapping.actions,
      Object.fromEntries(Object.entries(ACTION_CLASSES).map(([a, c]) => [a, ids(c)])),
    );
    assert.deepEqual(
      mapping.prefixes,
      Object.fromEntries(Object.entries(PREFIX_CLASSES).map(([a, c]) => [a, ids(c)])),
    );
    assert.deepEqual(mapping.default, ids(DEFAULT_CLASS));
    assert.deepEqual(mapping.placement.common, OCSF_COMMON_PLACES);
    assert.deepEqual(mapping.placement.by_class, JSON.parse(JSON.stringify(OCSF_CLASS_PLACES)));
    assert.deepEqual(mapping.placement.admin_actor.classes, OCSF_ADMIN_ACTOR.classes);
    assert.equal(mapping.placement.admin_actor.path, OCSF_ADMIN_ACTOR.path);
  });

  it('every activity an action maps to exists in its class', () => {
    for (const c of [...Object.values(ACTION_CLASSES), ...Object.values(PREFIX_CLASSES), DEFAULT_CLASS]) {
      assert.ok(c.activityId in OCSF_CLASSES[c.classUid].activities, `${c.classUid}/${c.activityId}`);
    }
  });
});
