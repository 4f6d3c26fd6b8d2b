// How a finished control command is classified, and what its failure says (the audit's error_msg):
// the node's own code and message, printable only; a reply that is no reply says so.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outcomeOf } from './ssh-exec.js';

const line = (o: unknown) => Buffer.from(`${JSON.stringify(o)}\n`);

describe('outcomeOf', () => {
  it('success only with exit 0 and an ok reply for the same verb', () => {
    assert.equal(outcomeOf('health', 0, line({ v: 1, ok: true, cmd: 'health' })).ok, true);
    assert.equal(outcomeOf('health', 0, line({ v: 1, ok: true, cmd: 'crl_update' })).ok, false);
  });

  it("a failure carries the node's code and message, control characters replaced", () => {
    const o = outcomeOf(
      'browser_spawn',
      1,
      line({
        v: 1,
        ok: false,
        cmd: 'browser_spawn',
        error: {
          code: 'VIW_E_GATEWAY_COMMAND',
          message: 'browser sandbox: sandbox rules failed\n\u001b[31m',
        },
      }),
    );
    assert.equal(o.ok, false);
    assert.equal(
      o.ok ? '' : o.detail,
      'the gateway reported a failure (VIW_E_GATEWAY_COMMAND: browser sandbox: sandbox rules failed??[31m)',
    );
    const garbage = outcomeOf('browser_spawn', 1, Buffer.from('not json'));
    assert.equal(garbage.ok ? '' : garbage.detail, 'the gateway reported a failure; no valid reply');
  });
});
