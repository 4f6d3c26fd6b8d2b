// The persistent control connection against a REAL OpenSSH sshd (the stand-in dispatcher of
// server/testing/sshd.ts): many commands, one handshake; channels capped; a dropped connection is
// replaced on the runner's next attempt; a wrong pin never gets a connection; idle connections close.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { needPeers } from '../../../scripts/testkit/peers.js';
import { type ControlFixture, startControlFixture } from '../../testing/gateway-control.js';
import { SSHD, type TestSshd } from '../../testing/sshd.js';
import type { AuditService } from '../audit/service.js';
import { type GatewayRef, type RunnerDeps, runControl } from './runner.js';
import { SshConnectionPool } from './ssh-pool.js';

const peer = needPeers({ binaries: [SSHD], root: true, apt: 'openssh-server' });

describe('persistent SSH control connection (real sshd)', { skip: peer.skip }, () => {
  let fx: ControlFixture;
  let audit: AuditService;
  let sshd: TestSshd;
  let gw: GatewayRef;
  let keyReads = 0;
  let readKey: () => Buffer;

  before(async () => {
    fx = await startControlFixture('gw-pool');
    ({ audit, sshd, gw } = fx);
    readKey = () => {
      keyReads++;
      return fx.key.readPrivateKey();
    };
  });
  after(() => fx?.close());

  const depsWith = (pool: SshConnectionPool): RunnerDeps => ({
    audit,
    privateKey: readKey,
    pool,
    retry: { attempts: 3, baseDelayMs: 10 },
  });
  const health = (deps: RunnerDeps, target = gw) => runControl(deps, target, { verb: 'health', args: [] });

  it('runs sequential and concurrent commands over one connection, reading the key once', async () => {
    const pool = new SshConnectionPool();
    const reads = keyReads;
    const before = sshd.calls().length;
    try {
      const deps = depsWith(pool);
      for (let i = 0; i < 3; i++) assert.equal((await health(deps)).ok, true);
      const together = await Promise.all(Array.from({ length: 6 }, () => health(deps)));
      assert.ok(together.every((r) => r.ok && r.cmd === 'health'));
      assert.equal(pool.connectionsMade, 1);
      assert.equal(keyReads - reads, 1, 'the control key is read to connect, not per command');
      assert.equal(sshd.calls().length - before, 9, 'every command reached the node');
    } finally {
      pool.close();
    }
  });

  it('more commands than channels wait their turn on the same connection', async () => {
    const pool = new SshConnectionPool({ maxChannels: 2 });
    try {
      const replies = await Promise.all(Array.from({ length: 7 }, () => health(depsWith(pool))));
      assert.equal(replies.length, 7);
      assert.ok(replies.every((r) => r.ok));
      assert.equal(pool.connectionsMade, 1);
    } finally {
      pool.close();
    }
  });

  it('a connection the node dropped is replaced on the next attempt (retryable, not a failure)', async () => {
    const pool = new SshConnectionPool();
    try {
      const deps = depsWith(pool);
      await health(deps);
      const pids = sshd.connectionPids();
      assert.ok(pids.length > 0, 'sshd serves our connection in a child process');
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      // The next command either finds the connection already gone or loses it under the command;
      // both are retried by the runner on a new connection.
      assert.equal((await health(deps)).ok, true);
      assert.equal(pool.connectionsMade, 2);
    } finally {
      pool.close();
    }
  });

  it('another host key: refused, and nothing is kept for the wrong pin', async () => {
    const pool = new SshConnectionPool();
    try {
      const wrong = {
        ...gw,
        hostKeyFingerprint: `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`,
      };
      await assert.rejects(
        health(depsWith(pool), wrong),
        (err: unknown) => isViworksError(err) && err.code === 'VIW_E_GATEWAY_HOSTKEY',
      );
      assert.equal(pool.size, 0);
      assert.equal(pool.connectionsMade, 0);
      // The right pin still connects (the pin is part of what a connection is for).
      assert.equal((await health(depsWith(pool))).ok, true);
      assert.equal(pool.size, 1);
    } finally {
      pool.close();
    }
  });

  it('closes a connection left idle, and refuses commands once closed', async () => {
    const pool = new SshConnectionPool({ idleMs: 50 });
    await health(depsWith(pool));
    assert.equal(pool.size, 1);
    for (let i = 0; i < 100 && pool.size > 0; i++) await sleep(20);
    assert.equal(pool.size, 0, 'the idle connection was closed');
    pool.close();
    await assert.rejects(
      health({ ...depsWith(pool), retry: { attempts: 1, baseDelayMs: 0 } }),
      (err: unknown) => isViworksError(err) && err.code === 'VIW_E_GATEWAY_UNREACHABLE',
    );
  });
});
