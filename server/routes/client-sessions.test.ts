import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BootstrapResponse } from '../../core/api/client.js';
import { parseBootstrap } from '../../core/bootstrap/payload.js';
import { fromWireId } from '../../core/bootstrap/wire-ids.js';
import { openEnvelope } from '../../core/crypto/envelope.js';
import type { AppContext } from '../context.js';
import { endSessions } from '../services/client/end-sessions.js';
import { startSessionSweeper, sweepSessions } from '../services/client/session-sweeper.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../testing/client-fixtures.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { openEvents as openEventsOn } from '../testing/sse-client.js';
import { STREAMS_PER_SESSION } from './client-events.js';

let srv: TestServer;
let ctx: AppContext;

before(async () => {
  srv = await startTestServer();
  ctx = srv.server.ctx!;
});
after(() => srv.stop());

const openEvents = (sid: string, token: string, server: TestServer = srv) => openEventsOn(server, sid, token);

/** A desktop with a live session: its token, wire session id, DB session id and client certificate. */
async function liveSession() {
  const d = await enrolledDesktop(ctx);
  const t = await loginTokens(ctx, d);
  const r = await fetchBootstrap<BootstrapResponse>(srv, t);
  assert.equal(r.status, 200, r.text);
  const pt = await openEnvelope(r.body.envelope, {
    recipientKey: d.recipientKey,
    expectedDeviceId: d.wireDeviceId,
  });
  const payload = parseBootstrap(pt);
  return {
    d,
    token: t.accessToken,
    sid: r.body.session_id,
    id: fromWireId('s', r.body.session_id)!,
    certPem: payload.ovpn.cert_inline,
    caPem: payload.ovpn.ca_inline,
  };
}

const post = (path: string, token: string | null, json: unknown, raw?: string) =>
  srv.call<{ code?: string; status?: string }>(path, {
    method: 'POST',
    ...(raw === undefined ? { json } : { raw }),
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

describe('client session routes', () => {
  it('heartbeat keeps the session alive; after the end it is VIW_E_SESSION_REVOKED', async () => {
    const s = await liveSession();
    const ok = await post('/client/heartbeat', s.token, { session_id: s.sid });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(Object.keys(ok.body).sort(), ['expires_at', 'heartbeat_s', 'idle_timeout_s', 'status']);
    assert.equal(ok.body.status, 'active');
    const row = await ctx.db.session.findUniqueOrThrow({ where: { id: s.id } });
    assert.ok(row.lastHeartbeatAt);
    await endSessions(ctx.sessionEnd, { sessionId: s.id }, 'revoked');
    const gone = await post('/client/heartbeat', s.token, { session_id: s.sid });
    assert.equal(gone.status, 410);
    assert.equal(gone.body.code, 'VIW_E_SESSION_REVOKED');
  });

  it("only the token's own device may touch a session", async () => {
    const s = await liveSession();
    const other = await liveSession();
    for (const path of ['/client/heartbeat', '/client/disconnect']) {
      const r = await post(path, other.token, { session_id: s.sid });
      assert.equal(r.status, 404, path);
      assert.equal(r.body.code, 'VIW_E_NOT_FOUND');
    }
    const ev = await srv.call<{ code: string }>(`/client/events?session_id=${s.sid}`, {
      headers: { authorization: `Bearer ${other.token}` },
    });
    assert.equal(ev.body.code, 'VIW_E_NOT_FOUND');
    assert.equal((await ctx.db.session.findUniqueOrThrow({ where: { id: s.id } })).endedAt, null);
  });

  it('refuses malformed input and bad tokens with stable codes, no stacks', async () => {
    const s = await liveSession();
    const forged = `viw_at_${'Z'.repeat(43)}`;
    const cases: Array<[string, string, string | null, unknown, string | undefined, number, string]> = [
      [
        'malformed JSON',
        '/client/heartbeat',
        s.token,
        undefined,
        '{"session_id":',
        400,
        'VIW_E_MALFORMED_JSON',
      ],
      [
        'unknown field',
        '/client/heartbeat',
        s.token,
        { session_id: s.sid, x: 1 },
        undefined,
        400,
        'VIW_E_UNKNOWN_FIELD',
      ],
      [
        'bad session id',
        '/client/heartbeat',
        s.token,
        { session_id: s.id },
        undefined,
        400,
        'VIW_E_VALIDATION',
      ],
      ['no body', '/client/disconnect', s.token, undefined, '', 400, 'VIW_E_VALIDATION'],
      ['no token', '/client/heartbeat', null, { session_id: s.sid }, undefined, 401, 'VIW_E_AUTH_REQUIRED'],
      [
        'forged token',
        '/client/disconnect',
        forged,
        { session_id: s.sid },
        undefined,
        401,
        'VIW_E_TOKEN_INVALID',
      ],
      ['forged + malformed', '/client/heartbeat', forged, undefined, '{', 401, 'VIW_E_TOKEN_INVALID'],
    ];
    for (const [name, path, token, json, raw, status, code] of cases) {
      const r = await post(path, token, json, raw);
      assert.equal(r.status, status, `${name}: ${r.text}`);
      assert.equal(r.body.code, code, name);
      assert.doesNotMatch(r.text, /stack|\.ts:\d+/, name);
    }
    const events = [
      [`/client/events?session_id=${s.sid}&x=1`, s.token, 'VIW_E_UNKNOWN_FIELD'],
      ['/client/events?session_id=nope', s.token, 'VIW_E_VALIDATION'],
      [`/client/events?session_id=${s.sid}`, null, 'VIW_E_AUTH_REQUIRED'],
      [`/client/events?session_id=${s.sid}`, forged, 'VIW_E_TOKEN_INVALID'],
    ] as const;
    for (const [path, token, code] of events) {
      const r = await srv.call<{ code: string }>(path, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      assert.equal(r.body.code, code, path);
    }
  });

  it('disconnect ends the session, retires the token and revokes the certificate (CRL + openssl)', async () => {
    const s = await liveSession();
    const r = await post('/client/disconnect', s.token, { session_id: s.sid });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { status: 'ended', end_reason: 'logout' });
    const again = await post('/client/heartbeat', s.token, { session_id: s.sid });
    assert.equal(again.body.code, 'VIW_E_TOKEN_INVALID');
    const row = await ctx.db.session.findUniqueOrThrow({
      where: { id: s.id },
      include: { certificates: true },
    });
    assert.equal(row.endReason, 'logout');
    const cert = row.certificates[0]!;
    assert.equal(cert.revocationReason, 'cessationOfOperation');
    assert.ok(await ctx.db.revocation.findUnique({ where: { certificateId: cert.id } }));

    const crl = await srv.call('/pki/crl/int-vpn.crl');
    assert.equal(crl.status, 200);
    assert.equal(crl.headers['cache-control'], 'public, max-age=60');
    const caBundle = await srv.call('/pki/ca.pem');
    assert.equal(caBundle.status, 200);
    assert.equal(caBundle.text.match(/BEGIN CERTIFICATE/g)?.length, 4);
    const dir = srv.dataDir;
    writeFileSync(join(dir, 's-ca.pem'), s.caPem);
    writeFileSync(join(dir, 's-leaf.pem'), s.certPem);
    writeFileSync(join(dir, 's-int-vpn.crl'), crl.text);
    const text = execFileSync('openssl', ['crl', '-noout', '-text', '-in', 's-int-vpn.crl'], {
      cwd: dir,
    }).toString();
    assert.match(text, new RegExp(`Serial Number: ${cert.serial}`, 'i'));
    let verdict = '';
    try {
      execFileSync(
        'openssl',
        ['verify', '-crl_check', '-CAfile', 's-ca.pem', '-CRLfile', 's-int-vpn.crl', 's-leaf.pem'],
        {
          cwd: dir,
          stdio: 'pipe',
        },
      );
    } catch (err) {
      verdict = String((err as { stdout: Buffer }).stdout) + String((err as { stderr: Buffer }).stderr);
    }
    assert.match(verdict, /certificate revoked/);
    // A live session's certificate still verifies against the same CRL.
    const live = await liveSession();
    writeFileSync(join(dir, 's-live.pem'), live.certPem);
    const ok = execFileSync(
      'openssl',
      ['verify', '-crl_check', '-CAfile', 's-ca.pem', '-CRLfile', 's-int-vpn.crl', 's-live.pem'],
      { cwd: dir },
    ).toString();
    assert.match(ok, /s-live\.pem: OK/);
    assert.equal((await srv.call('/pki/crl/int-nope.crl')).status, 404);
  });

  it('events: state first, then revoked within 1 s of endSessions(), then the stream closes', async () => {
    const s = await liveSession();
    const stream = openEvents(s.sid, s.token);
    const first = await stream.next();
    assert.equal(first.event, 'state');
    assert.equal(JSON.parse(first.data).status, 'active');
    assert.equal(stream.status(), 200);
    const listeners = () => (ctx.events as any).emitter.listenerCount(`session:${s.id}`) as number;
    assert.equal(listeners(), 1);
    const t0 = performance.now();
    await endSessions(ctx.sessionEnd, { sessionId: s.id }, 'revoked');
    const revoked = await stream.next();
    const latency = performance.now() - t0;
    assert.equal(revoked.event, 'revoked');
    assert.deepEqual(JSON.parse(revoked.data).reason, 'revoked');
    assert.ok(latency < 1000, `revocation took ${latency} ms`);
    console.log(`# revocation → SSE latency: ${latency.toFixed(1)} ms`);
    await stream.closed;
    assert.equal(listeners(), 0, 'unsubscribed on close');

    // A stream opened on an ended session says so at once and closes.
    const late = openEvents(s.sid, s.token);
    assert.equal(JSON.parse((await late.next()).data).status, 'ended');
    assert.equal((await late.next()).event, 'revoked');
    await late.closed;
  });

  it(`caps event streams at ${STREAMS_PER_SESSION} per session (and token); a closed one frees its place`, async () => {
    const s = await liveSession();
    const streams = Array.from({ length: STREAMS_PER_SESSION }, () => openEvents(s.sid, s.token));
    for (const st of streams) assert.equal((await st.next()).event, 'state');
    const refused = await srv.call<{ code: string; trace_id: string }>(`/client/events?session_id=${s.sid}`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.body.code, 'VIW_E_TOO_MANY_STREAMS');
    assert.ok(refused.body.trace_id);
    streams[0]!.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = openEvents(s.sid, s.token);
    assert.equal((await again.next()).event, 'state', 'a closed stream gave its place back');
    for (const st of [...streams.slice(1), again]) st.close();
  });

  it('an open event stream never holds up server shutdown', async () => {
    const other = await startTestServer();
    const c = other.server.ctx!;
    const d = await enrolledDesktop(c);
    const t = await loginTokens(c, d);
    const r = await fetchBootstrap<BootstrapResponse>(other, t);
    const stream = openEvents(r.body.session_id, t.accessToken, other);
    assert.equal((await stream.next()).event, 'state');
    const t0 = performance.now();
    await other.stop();
    await stream.closed;
    assert.ok(performance.now() - t0 < 5000);
  });

  it('the sweeper ends idle and expired sessions and revokes certificates others left valid', async () => {
    const idle = await liveSession();
    const expired = await liveSession();
    const orphan = await liveSession();
    await ctx.db.session.update({
      where: { id: idle.id },
      data: { lastHeartbeatAt: new Date(Date.now() - (ctx.config.idleTimeoutS + 60) * 1000) },
    });
    await ctx.db.session.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    // Ended by a caller that did not pass ctx.sessionEnd: the certificate stays valid until the sweep.
    const { onEnded: _drop, ...plain } = ctx.sessionEnd;
    await endSessions(plain, { sessionId: orphan.id }, 'revoked');
    const sweeper = startSessionSweeper(ctx, { intervalMs: 50 });
    try {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const cert = await ctx.db.issuedCertificate.findFirst({ where: { sessionId: orphan.id } });
        const rows = await ctx.db.session.findMany({
          where: { id: { in: [idle.id, expired.id] }, endedAt: { not: null } },
        });
        if (rows.length === 2 && cert?.revokedAt) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      sweeper.stop();
    }
    const get = (id: string) =>
      ctx.db.session.findUniqueOrThrow({ where: { id }, include: { certificates: true } });
    assert.equal((await get(idle.id)).endReason, 'idle_timeout');
    assert.equal((await get(expired.id)).endReason, 'expired');
    for (const id of [idle.id, expired.id, orphan.id])
      assert.ok((await get(id)).certificates[0]!.revokedAt, id);
    assert.equal((await get(orphan.id)).certificates[0]!.revocationReason, 'privilegeWithdrawn');
    const quiet = await sweepSessions(ctx);
    assert.deepEqual(quiet, { expired: [], idle: [], revoked: [] });
  });
});
