// The test receiver is a real rsyslogd with mutual TLS: a client with a certificate from the CA and a
// permitted name is heard; one without a certificate, with a foreign CA's certificate or with a name
// not permitted is not, whatever it sends. restart() keeps the port.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { needRsyslog, type RsyslogReceiver, startRsyslogReceiver } from './rsyslog.js';
import { createTestPki, type TestPki, type TlsFiles } from './test-pki.js';

const peers = needRsyslog();

/** Sends one octet-counted message; resolves with how the connection ended. */
function sendOne(port: number, pki: TestPki, client: TlsFiles | null, msg: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: pki.serverName,
      ca: readFileSync(pki.caFile),
      minVersion: 'TLSv1.3',
      ...(client ? { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile) } : {}),
    });
    let ending = 'close';
    socket.once('secureConnect', () => {
      socket.write(`${Buffer.byteLength(msg)} ${msg}`);
      // Half-close after a pause, as the shipper does: a refused client is dropped before it.
      setTimeout(() => socket.end(), 300);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      ending = err.code ?? 'error';
    });
    socket.on('close', () => resolve(ending));
  });
}

describe('rsyslog test receiver (real rsyslogd, gtls, x509/name)', { skip: peers.skip }, () => {
  let dir: string;
  let pki: TestPki;
  let receiver: RsyslogReceiver;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-rsyslog-'));
    pki = await createTestPki(dir);
    receiver = await startRsyslogReceiver({
      dir,
      caFile: pki.caFile,
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      permittedPeers: [pki.clientName],
    });
  });
  after(async () => {
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the message of a client with a certificate from the CA, raw and whole', async () => {
    const msg =
      '<110>1 2026-01-01T00:00:00.000Z host viworks-server 1 t.ok [meta sequenceId="1"] {"ok":true}';
    assert.equal(await sendOne(receiver.port, pki, pki.client, msg), 'close');
    assert.deepEqual(await receiver.messages(), [msg]);
  });

  it('refuses a client without a certificate and one from a foreign CA', async () => {
    const before = (await receiver.messages()).length;
    await sendOne(receiver.port, pki, null, '<110>1 - h a - t.none - no certificate');
    await sendOne(receiver.port, pki, pki.foreignClient, '<110>1 - h a - t.foreign - foreign CA');
    await sleep(300);
    const lines = await receiver.messages();
    assert.equal(lines.length, before, `nothing new may be written: ${lines.slice(before).join(' | ')}`);
    assert.match(receiver.output(), /did not provide a certificate/);
    assert.match(receiver.output(), /not permitted to talk to peer|certificate invalid/);
  });

  it('refuses a client from the CA whose name is not permitted', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'viw-rsyslog-peer-'));
    try {
      const stranger = await startRsyslogReceiver({
        dir: otherDir,
        caFile: pki.caFile,
        certFile: pki.server.certFile,
        keyFile: pki.server.keyFile,
        permittedPeers: ['someone-else.lab.viworks.test'],
      });
      try {
        await sendOne(stranger.port, pki, pki.client, '<110>1 - h a - t.name - wrong name');
        assert.deepEqual(await stranger.messages(), []);
        assert.match(stranger.output(), /not permitted/, stranger.output());
      } finally {
        await stranger.stop();
      }
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('restart() keeps the port and the messages file; stop() ends the process by its PID', async () => {
    const { port } = receiver;
    const oldPid = receiver.pid;
    await receiver.restart();
    assert.equal(receiver.port, port);
    assert.notEqual(receiver.pid, oldPid);
    assert.throws(() => process.kill(oldPid, 0), /ESRCH/);
    const msg =
      '<110>1 2026-01-01T00:00:01.000Z host viworks-server 1 t.again [meta sequenceId="2"] {"again":true}';
    assert.equal(await sendOne(port, pki, pki.client, msg), 'close');
    const lines = await receiver.messages();
    assert.equal(lines.at(-1), msg);
    assert.ok(lines.length >= 2);
  });
});
