// The local API's secret fields (issue #13): the edge lifts the password, the new password, the
// phone's code and the enrollment token out of the body as wipeable bytes, and the route schemas see
// a dummy instead. Differential: for every body, the edge (dummies) and a plain Fastify app with the
// same validator settings (the real strings) must accept and refuse alike — a dummy that passed
// where the secret would not (or the reverse) would change what the daemon accepts.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  EnrollConfirmRequestSchema,
  EnrollRequestSchema,
  LoginRequestSchema,
  PasswordRequestSchema,
} from '../../core/api/local.js';
import { SecretText } from '../../core/secrets/secret-text.js';
import { DaemonLog } from '../log/daemon-log.js';
import { installEdge } from './edge.js';
import { secretBody, withSecretBody } from './secret-fields.js';

const AJV = {
  customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
};
const SCHEMAS = {
  '/login': LoginRequestSchema,
  '/password': PasswordRequestSchema,
  '/otp': EnrollConfirmRequestSchema,
  '/enroll': EnrollRequestSchema,
} as const;

/** What the handler behind the edge saw last: each secret's bytes as text, and the views to check wiping. */
let seen: { texts: Record<string, string>; views: Uint8Array[] } | null = null;

function edgeApp(): FastifyInstance {
  const app = Fastify({ logger: false, ajv: AJV });
  installEdge(app, 'test', new DaemonLog({ minLevel: 'error', sink: () => undefined }), 64 * 1024);
  for (const [url, schema] of Object.entries(SCHEMAS)) {
    app.post(url, { schema: { body: schema } }, async (request) =>
      withSecretBody<Record<string, unknown>, object>(request, async (body) => {
        const texts: Record<string, string> = {};
        const views: Uint8Array[] = [];
        for (const [k, v] of Object.entries(body)) {
          if (v instanceof SecretText) {
            texts[k] = new TextDecoder().decode(v.bytes);
            views.push(v.bytes);
          } else assert.equal(typeof v === 'string' && /^x+$/.test(v) && k.includes('password'), false, k);
        }
        seen = { texts, views };
        return { ok: true };
      }),
    );
  }
  return app;
}

function plainApp(): FastifyInstance {
  const app = Fastify({ logger: false, ajv: AJV });
  for (const [url, schema] of Object.entries(SCHEMAS)) {
    app.post(url, { schema: { body: schema } }, async () => ({ ok: true }));
  }
  return app;
}

const PEM = '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n';
const PINS = { primary_b64: `${'A'.repeat(43)}=`, backup_b64: `${'B'.repeat(43)}=` };

function randomText(): string {
  const pool = ['a', 'Z', '7', ' ', '"', '\\', 'é', '€', '😀', '\n', '_', '-'];
  const n = [0, 1, 5, 6, 7, 12, 43, 255, 256, 257, 300][randomInt(11)]!;
  return Array.from({ length: n }, () => pool[randomInt(pool.length)]).join('');
}

function randomBody(): [string, object] {
  switch (randomInt(4)) {
    case 0:
      return ['/login', { password: randomText() }];
    case 1:
      return ['/password', { new_password: randomText() }];
    case 2:
      return [
        '/otp',
        { otp_code: randomInt(3) === 0 ? randomText() : String(randomInt(1_000_000)).padStart(6, '0') },
      ];
    default: {
      const token =
        randomInt(2) === 0 ? `viw_et_${'Ab9_-'.repeat(9).slice(0, 43)}` : `viw_et_${randomText()}`;
      return [
        '/enroll',
        {
          backend_url: 'https://backend.example',
          backend_pins: PINS,
          ca_pem: PEM,
          username: 'tina',
          password: randomText(),
          ...(randomInt(2) === 0 ? { enrollment_token: token } : {}),
        },
      ];
    }
  }
}

describe('local API: secret fields lifted as bytes at the edge', () => {
  let edge: FastifyInstance;
  let plain: FastifyInstance;
  before(async () => {
    edge = edgeApp();
    plain = plainApp();
    await Promise.all([edge.ready(), plain.ready()]);
  });
  after(async () => {
    await Promise.all([edge.close(), plain.close()]);
  });

  it('accepts and refuses exactly what the schema would with the real strings; handlers get SecretText, wiped after', async () => {
    let accepted = 0;
    let refused = 0;
    for (let n = 0; n < 400; n++) {
      const [url, body] = randomBody();
      const payload = JSON.stringify(body);
      seen = null;
      const [a, b] = await Promise.all([
        edge.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } }),
        plain.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } }),
      ]);
      assert.equal(a.statusCode, b.statusCode, `${url} ${payload.slice(0, 120)}: edge ${a.body}`);
      if (a.statusCode !== 200) {
        refused++;
        continue;
      }
      accepted++;
      assert.ok(seen, 'the handler ran');
      const s = seen as { texts: Record<string, string>; views: Uint8Array[] };
      for (const [k, v] of Object.entries(body)) {
        if (['password', 'new_password', 'otp_code', 'enrollment_token'].includes(k))
          assert.equal(s.texts[k], v, k);
      }
      assert.ok(s.views.length > 0);
      assert.ok(
        s.views.every((view) => view.every((x) => x === 0)),
        'wiped once the handler returned',
      );
    }
    assert.ok(accepted > 50 && refused > 50, `both branches exercised (${accepted} / ${refused})`);
  });

  it('a secret field the edge did not lift is never handed on as its dummy', () => {
    const request = { body: { password: 'xxxxxx' }, secretFields: new Map() } as never;
    assert.throws(() => secretBody(request), /VIW_E_INTERNAL|internal/i);
  });

  it('a malformed body is VIW_E_MALFORMED_JSON and names nothing of the body', async () => {
    const r = await edge.inject({
      method: 'POST',
      url: '/login',
      payload: '{"password":"hunter2 hunter2","password":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().code, 'VIW_E_MALFORMED_JSON');
    assert.doesNotMatch(r.body, /hunter2/);
  });
});
