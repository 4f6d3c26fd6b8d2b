// The OpenAPI document is generated from the same schemas that validate requests, so checking the
// document checks the routes: every operation answers with a documented success schema, every
// request body is a closed object, and every route the backend promises is there.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKEND_ROUTES, type BackendRoute } from '../core/api/backend-routes.js';
import { startTestServer, type TestServer } from './testing/harness.js';

interface Operation {
  requestBody?: { content?: Record<string, { schema?: { additionalProperties?: boolean; type?: string } }> };
  responses?: Record<string, unknown>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const PROMISED = [
  'post /device/enroll',
  'post /auth/login',
  'post /auth/verify',
  'get /client/bootstrap',
  'post /client/heartbeat',
  'post /client/disconnect',
  'get /client/events',
  'post /mobile/bind',
  'get /mobile/otp',
  'post /mobile/otp/deny',
  'post /admin/login',
  'get /admin/users',
  'post /admin/users',
  'get /admin/devices',
  'get /admin/enrollment-tokens',
  'post /admin/enrollment-tokens',
  'get /admin/sessions',
  'get /admin/audit',
  'get /admin/alerts',
  'post /admin/alerts/{id}/ack',
];

describe('OpenAPI document', () => {
  let ts: TestServer;
  let doc: Doc;
  before(async () => {
    ts = await startTestServer();
    doc = (await ts.call<Doc>('/openapi.json')).body;
  });
  after(async () => ts.stop());

  it('is generated from the route table: exactly its visible routes, no other', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([p, m]) => Object.keys(m).map((verb) => `${verb.toUpperCase()} ${p}`))
      .filter((op) => !op.startsWith('HEAD '))
      .sort();
    const table = Object.values(BACKEND_ROUTES as Record<string, BackendRoute>)
      .filter((r) => !r.hidden)
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`)
      .sort();
    assert.deepEqual(documented, table);
  });

  it('lists every promised route', () => {
    const ops = new Set(
      Object.entries(doc.paths).flatMap(([p, m]) => Object.keys(m).map((verb) => `${verb} ${p}`)),
    );
    for (const op of PROMISED) assert.ok(ops.has(op), `missing ${op}`);
  });

  it('documents a success response for every operation and closes every JSON body', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [verb, op] of Object.entries(methods)) {
        const codes = Object.keys(op.responses ?? {});
        assert.ok(
          codes.some((c) => /^2\d\d$/.test(c)),
          `${verb} ${path} has no documented 2xx response`,
        );
        const body = op.requestBody?.content?.['application/json']?.schema;
        if (body && body.type === 'object') {
          assert.equal(body.additionalProperties, false, `${verb} ${path} accepts unknown fields`);
        }
      }
    }
  });
});
