// The receiver examples shipped in siem/receivers/ must be configurations their daemon accepts, and
// the rsyslog one must actually receive what the backend sends. The files are copied with only the
// site-specific values substituted — the test PKI's paths for /etc/viworks-siem/*, its client name for
// PermittedPeer, a scratch directory for /var/log/viworks-siem, a free port for 6514 — and checked by
// the real daemon. Before the example's own lines one global(workDirectory=…) is added: a distribution's
// main rsyslog.conf sets it (Debian: /var/spool/rsyslog), and a test must not write there.
// The syslog-ng and Vector examples are not checked: Debian's syslog-ng conflicts with rsyslog (both
// are the system logger), and Vector is not packaged.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromSiemDocument } from '../../../../core/siem/format.js';
import { NsProcess } from '../../../../scripts/testkit/netns.js';
import { freePort } from '../../../../scripts/testkit/ports.js';
import { needRsyslog, RSYSLOGD } from '../../../../scripts/testkit/rsyslog.js';
import { createTestPki, type TestPki } from '../../../../scripts/testkit/test-pki.js';
import { renderFor } from '../pipeline.js';
import { loadSyslogTransport } from './syslog-transport.js';
import { chainedRecords, waitFor } from './testing.js';

const RECEIVERS = resolve(import.meta.dirname, '../../../../siem/receivers');
const peers = needRsyslog();

/** siem/receivers/rsyslog.conf with this site's values in place of the example's. */
function siteRsyslogConf(pki: TestPki, dir: string, port: number): string {
  const example = readFileSync(join(RECEIVERS, 'rsyslog.conf'), 'utf8');
  const substitutions: [string, string][] = [
    ['/etc/viworks-siem/ca.pem', pki.caFile],
    ['/etc/viworks-siem/receiver.crt', pki.server.certFile],
    ['/etc/viworks-siem/receiver.key', pki.server.keyFile],
    ['"viworks-backend.example.org"', `"${pki.clientName}"`],
    ['/var/log/viworks-siem', join(dir, 'log')],
    ['port="6514"', `port="${port}"`],
  ];
  let conf = example;
  for (const [from, to] of substitutions) {
    assert.ok(conf.includes(from), `the example no longer contains ${from}: update this test with it`);
    conf = conf.split(from).join(to);
  }
  const settings = conf
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n');
  assert.doesNotMatch(settings, /\/etc\/|\/var\//, 'every site path substituted');
  return `global(workDirectory="${join(dir, 'work')}")\n${conf}`;
}

describe('siem/receivers examples', () => {
  let root: string;
  let pki: TestPki;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'viw-receivers-'));
    pki = await createTestPki(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('rsyslog.conf: rsyslogd -N1 accepts it', { skip: peers.skip }, () => {
    const dir = join(root, 'check');
    mkdirSync(join(dir, 'work'), { recursive: true });
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(conf, siteRsyslogConf(pki, dir, 6514), { mode: 0o600 });
    const r = spawnSync(RSYSLOGD, ['-N1', '-f', conf], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /error|warning/i);
  });

  it('rsyslog.conf: running, it takes the backend over mutual TLS and writes each document as sent', {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const dir = join(root, 'run');
    mkdirSync(join(dir, 'work'), { recursive: true });
    const port = await freePort();
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(conf, siteRsyslogConf(pki, dir, port), { mode: 0o600 });
    const rsyslogd = new NsProcess(
      'rsyslogd',
      spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const config = {
      host: '127.0.0.1',
      port,
      serverName: pki.serverName,
      caFile: pki.caFile,
      certFile: pki.client.certFile,
      keyFile: pki.client.keyFile,
    };
    const transport = loadSyslogTransport(config, { render: renderFor('ecs') });
    const stranger = loadSyslogTransport({ ...config, ...pki.foreignClient }, { render: renderFor('ecs') });
    const records = chainedRecords(5);
    const logDir = join(dir, 'log');
    const stored = () =>
      existsSync(logDir)
        ? readdirSync(logDir)
            .filter((n) => /^audit-\d{4}-\d{2}-\d{2}\.ndjson$/.test(n))
            .flatMap((n) => readFileSync(join(logDir, n), 'utf8').split('\n').filter(Boolean))
        : [];
    try {
      // Until rsyslogd listens the connection is refused, and nothing can have been delivered.
      await waitFor(
        'the example receiver to take a batch',
        20_000,
        () =>
          transport.send(records).then(
            () => true,
            () => false,
          ),
        { pollMs: 200, context: () => rsyslogd.output },
      );
      await waitFor('5 documents on disk', 10_000, () => stored().length >= 5, {
        context: () => rsyslogd.output,
      });
      const lines = stored();
      assert.equal(lines.length, 5);
      assert.deepEqual(
        lines.map((l) => fromSiemDocument('ecs', JSON.parse(l))),
        records,
        'each line is the ECS document, exactly as sent',
      );
      // A client certificate from another CA, with the permitted name: refused.
      await assert.rejects(stranger.send(chainedRecords(1, { seq: 5, hash: records[4]!.hash })));
      assert.equal(stored().length, 5);
      assert.equal(existsSync(join(logDir, 'rejected.log')), false);
    } finally {
      await transport.close();
      await stranger.close();
      await rsyslogd.stop();
    }
  });
});
