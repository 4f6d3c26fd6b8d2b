// The gateway teardown of an ended session starts beside its certificate's revocation (the cut is
// what must be quick), while the CRL push it carries waits for that revocation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndedSession, SessionEndDeps } from './end-sessions.js';
import { withGatewayTeardown } from './session-end-hooks.js';

describe('withGatewayTeardown', () => {
  it('starts the gateway cut before the revocation finishes, and hands it the revocation to wait for', async () => {
    const order: string[] = [];
    let finishRevocation: () => void = () => undefined;
    const base = {
      onEnded: (s: EndedSession) =>
        new Promise<void>((resolve) => {
          order.push(`revoke ${s.id}`);
          finishRevocation = () => {
            order.push('revoked');
            resolve();
          };
        }),
    } as unknown as SessionEndDeps;
    let revokedSeen: Promise<void> | undefined;
    const deps = withGatewayTeardown(base, {
      sessionEnded: (id, revoked) => {
        order.push(`cut ${id}`);
        revokedSeen = revoked.then(() => {
          order.push('crl push may go');
        });
      },
    });
    const ended = deps.onEnded?.({ id: 's1', clientCertSerial: 'ab', reason: 'revoked' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['revoke s1', 'cut s1'], 'the cut does not wait for the revocation');
    finishRevocation();
    await ended;
    await revokedSeen;
    assert.deepEqual(order, ['revoke s1', 'cut s1', 'revoked', 'crl push may go']);
  });

  it('a failed revocation still fails the hook, and still releases the CRL push (it was audited)', async () => {
    const base = { onEnded: () => Promise.reject(new Error('hsm down')) } as unknown as SessionEndDeps;
    let released = false;
    const deps = withGatewayTeardown(base, {
      sessionEnded: (_id, revoked) => {
        void revoked.then(() => {
          released = true;
        });
      },
    });
    await assert.rejects(
      deps.onEnded?.({ id: 's2', clientCertSerial: null, reason: 'logout' }) ?? Promise.resolve(),
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(released, true);
  });
});
