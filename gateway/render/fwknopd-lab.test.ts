// The rendered fwknopd.conf + access.conf against the real fwknopd 2.6.10: it parses them, and in a
// namespace lab dark behind the rendered iptables baseline it opens the TLS port for EITHER of two
// enrolled devices (each with its own keys and username), caps a client-requested timeout, refuses a
// device's keys under another device's name, and never opens anything for the no-device stanza.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeSpa } from '../../core/spa/encode.js';
import { NetnsPair, type NsProcess, run, runOk } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { type AccessEntry, NO_DEVICE_USERNAME, renderAccessConf } from './access-conf.js';
import { renderFwknopdConf } from './fwknopd-conf.js';
import { renderIptablesRules, VIWORKS_INPUT_JUMP } from './iptables-rules.js';
import { sampleFacts, sampleSettings, writePrivate } from './test-fixtures.js';

const FWKNOPD = '/usr/sbin/fwknopd';
const IPTABLES = '/usr/sbin/iptables';
const peers = needPeers({
  binaries: [FWKNOPD, IPTABLES, '/usr/sbin/iptables-restore', '/usr/sbin/ip'],
  root: true,
  apt: 'fwknop-server iptables iproute2',
});

interface Device {
  readonly entry: AccessEntry;
  readonly encKey: Buffer;
  readonly hmacKey: Buffer;
}

/** `first` decides the stanza order (sorted by id): device A is stanza #1, device B stanza #2. */
function newDevice(first: '0' | 'f'): Device {
  const encKey = randomBytes(32);
  const hmacKey = randomBytes(64);
  const entry = {
    deviceId: `d-${first}${randomBytes(16).toString('hex').slice(1)}`,
    keyBase64: encKey.toString('base64'),
    hmacKeyBase64: hmacKey.toString('base64'),
  };
  return { entry, encKey, hmacKey };
}

const settings = sampleSettings();
const [devA, devB] = [newDevice('0'), newDevice('f')];

describe('real fwknopd 2.6.10 parses the rendered configs', { skip: peers.skip }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-render-fwk-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const writeAll = (access: string) => {
    const facts = sampleFacts(dir, { spaInterface: 'lo' });
    mkdirSync(facts.paths.fwknopRunDir, { recursive: true, mode: 0o700 });
    writePrivate(facts.paths.fwknopdConf, renderFwknopdConf(settings, facts));
    writePrivate(facts.paths.accessConf, access);
    return facts.paths.fwknopdConf;
  };

  test('two devices: every key is read as rendered, with no warning', async () => {
    const conf = writeAll(renderAccessConf([devA.entry, devB.entry], settings));
    const parsed = await run([FWKNOPD, '-c', conf, '--exit-parse-config']);
    assert.equal(parsed.code, 0, parsed.stderr + parsed.stdout);
    assert.doesNotMatch(parsed.stderr + parsed.stdout, /Warning|\[\*\]|\[-\]/);
    const dump = (await runOk([FWKNOPD, '-c', conf, '-D'])).replace(/\s+/g, ' ');
    for (const expected of [
      "PCAP_INTF = 'lo'",
      `PCAP_FILTER = 'udp port ${settings.spa_port}'`,
      `ACCESS_FILE = '${join(dir, 'access.conf')}'`,
      "FIREWALL_EXE = '/usr/sbin/iptables'",
      "ENABLE_DIGEST_PERSISTENCE = 'Y'",
      "ENABLE_IPT_FORWARDING = 'N'",
      "MAX_SPA_PACKET_AGE = '120'",
      'SOURCE (2): ANY',
      `REQUIRE_USERNAME: ${devA.entry.deviceId}`,
      `REQUIRE_USERNAME: ${devB.entry.deviceId}`,
      'REQUIRE_SOURCE_ADDRESS: Yes',
      `OPEN_PORTS: tcp/${settings.tls_port}`,
      `FW_ACCESS_TIMEOUT: ${settings.fw_access_timeout_s}`,
      `MAX_FW_TIMEOUT: ${settings.fw_access_timeout_s}`,
      'HMAC_KEY_LEN: 64',
    ]) {
      assert.ok(dump.includes(expected), `dump lacks ${expected}`);
    }
    // The dump itself must not print keys (it says "<see the access.conf file>").
    assert.ok(!dump.includes(devA.entry.keyBase64));
  });

  test('no device: fwknopd refuses an empty access.conf, but starts on the rendered one', async () => {
    const emptyConf = writeAll('');
    const refused = await run([FWKNOPD, '-c', emptyConf, '--exit-parse-config']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /Could not find valid SOURCE stanza/);
    const conf = writeAll(renderAccessConf([], settings));
    const parsed = await run([FWKNOPD, '-c', conf, '--exit-parse-config']);
    assert.equal(parsed.code, 0, parsed.stderr + parsed.stdout);
  });
});

describe('rendered configs in a dark gateway namespace', { skip: peers.skip, timeout: 120_000 }, () => {
  let lab: NetnsPair | undefined;
  let fwknopd: NsProcess | undefined;
  let dir = '';
  let otherAddress = '';
  const gw = () => lab!.gw;
  const cl = () => lab!.cl;
  const esc = (s: string) => s.replace(/\./g, '\\.');
  const send = (packet: string) => lab!.sendUdp(cl(), gw().address, settings.spa_port, packet);
  const probe = (localAddress?: string) =>
    lab!.probeTcp(cl(), gw().address, settings.tls_port, localAddress ? { localAddress } : {});

  function packet(dev: Device, accessIp: string, over: { username?: string; clientTimeout?: number } = {}) {
    return encodeSpa({
      encKey: dev.encKey,
      hmacKey: dev.hmacKey,
      username: over.username ?? dev.entry.deviceId,
      accessIp,
      accessPorts: [{ proto: 'tcp', port: settings.tls_port }],
      ...(over.clientTimeout ? { clientTimeout: over.clientTimeout } : {}),
    });
  }

  async function startFwknopd(access: string): Promise<NsProcess> {
    await fwknopd?.stop();
    const facts = sampleFacts(dir, { spaInterface: gw().ifname });
    mkdirSync(facts.paths.fwknopRunDir, { recursive: true, mode: 0o700 });
    writePrivate(facts.paths.fwknopdConf, renderFwknopdConf(settings, facts));
    writePrivate(facts.paths.accessConf, access);
    const p = lab!.spawn(gw(), 'fwknopd', [FWKNOPD, '-f', '-c', facts.paths.fwknopdConf]);
    assert.ok(await p.waitFor(/main event loop|Sniffing interface/, 15_000), `fwknopd:\n${p.output}`);
    return p;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-render-fwklab-'));
    lab = await NetnsPair.create();
    // The rendered baseline, applied as viworks-gw does: chain, jump, then the restore.
    const rules = join(dir, 'iptables.rules');
    writePrivate(rules, renderIptablesRules(settings, sampleFacts(dir)));
    await runOk(['/usr/sbin/ip', 'netns', 'exec', gw().ns, IPTABLES, '-w', '-N', 'VIWORKS_INPUT']);
    await runOk(['/usr/sbin/ip', 'netns', 'exec', gw().ns, IPTABLES, '-w', '-A', ...VIWORKS_INPUT_JUMP]);
    await runOk([
      '/usr/bin/sh',
      '-c',
      'exec /usr/sbin/ip netns exec "$0" /usr/sbin/iptables-restore -w --noflush < "$1"',
      gw().ns,
      rules,
    ]);
    otherAddress = gw().address.replace(/^10\.213\.([0-9]+)\.1$/, '10.214.$1.2');
    await runOk(['/usr/sbin/ip', '-n', cl().ns, 'addr', 'add', `${otherAddress}/32`, 'dev', cl().ifname]);
    await runOk(['/usr/sbin/ip', '-n', gw().ns, 'route', 'add', `${otherAddress}/32`, 'dev', gw().ifname]);
    await lab.listenTcp(gw(), gw().address, settings.tls_port);
    fwknopd = await startFwknopd(renderAccessConf([devA.entry, devB.entry], settings));
  });

  after(async () => {
    if (process.env.VIW_SPA_DEBUG === '1') console.error(fwknopd?.output);
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('before SPA the gateway is dark: TLS port and SPA port silent', async () => {
    assert.equal(await probe(), 'timeout');
    assert.equal(await lab!.probeUdp(cl(), gw().address, settings.spa_port), 'silent');
  });

  test('device A (first stanza) opens the TLS port for the address in its packet', async () => {
    const from = fwknopd!.output.length;
    await send(packet(devA, cl().address));
    const added = new RegExp(`Added access rule to FWKNOP_INPUT for ${esc(cl().address)} `);
    assert.ok(await fwknopd!.waitFor(added, 10_000, from), fwknopd!.output.slice(from));
    assert.equal(await probe(), 'open');
    assert.equal(await probe(otherAddress), 'timeout', 'another address got in');
  });

  test('device B (second stanza) is accepted too: fwknopd tries every SOURCE ANY stanza', async () => {
    const from = fwknopd!.output.length;
    await send(packet(devB, otherAddress));
    const added = new RegExp(`Added access rule to FWKNOP_INPUT for ${esc(otherAddress)} `);
    assert.ok(await fwknopd!.waitFor(added, 10_000, from), fwknopd!.output.slice(from));
    // Stanza #1 (device A's keys) failed its HMAC check first; stanza #2 then matched.
    assert.match(fwknopd!.output.slice(from), /\(stanza #2\)/);
    assert.equal(await probe(otherAddress), 'open');
  });

  test("device B's keys under device A's name open nothing", async () => {
    const from = fwknopd!.output.length;
    await send(packet(devB, cl().address, { username: devA.entry.deviceId }));
    assert.ok(
      await fwknopd!.waitFor(/does not match required username/, 10_000, from),
      fwknopd!.output.slice(from),
    );
    assert.doesNotMatch(fwknopd!.output.slice(from), /Added access rule/);
  });

  test('a packet asking for a 300 s rule gets at most fw_access_timeout_s (MAX_FW_TIMEOUT)', async () => {
    const from = fwknopd!.output.length;
    const sentAt = Math.floor(Date.now() / 1000);
    await send(packet(devA, cl().address, { clientTimeout: 300 }));
    const re = new RegExp(`Added access rule to FWKNOP_INPUT for ${esc(cl().address)} .*expires at ([0-9]+)`);
    assert.ok(await fwknopd!.waitFor(re, 10_000, from), fwknopd!.output.slice(from));
    const expires = Number(re.exec(fwknopd!.output.slice(from))?.[1]);
    // 300 s would land far beyond; the cap gives about 20 s after the packet was sent.
    assert.ok(expires - sentAt <= settings.fw_access_timeout_s + 30, `expires ${expires - sentAt} s later`);
  });

  test('no device: the expired stanza opens nothing, even with its own (public) keys', async () => {
    fwknopd = await startFwknopd(renderAccessConf([], settings));
    const sentinel: Device = {
      entry: devA.entry,
      encKey: Buffer.alloc(32, 0),
      hmacKey: Buffer.alloc(64, 0xff),
    };
    const from = fwknopd.output.length;
    const seen = () => (fwknopd!.output.slice(from).match(/received with access source match/g) ?? []).length;
    await send(packet(sentinel, cl().address, { username: NO_DEVICE_USERNAME }));
    assert.ok(await fwknopd.waitFor(/Access stanza has expired/, 10_000, from), fwknopd.output.slice(from));
    await send(packet(devA, cl().address));
    assert.ok(
      await fwknopd.waitFor(
        /received with access source match[\s\S]*received with access source match/,
        10_000,
        from,
      ),
    );
    assert.equal(seen(), 2);
    assert.equal(await probe(), 'timeout');
    assert.doesNotMatch(fwknopd.output.slice(from), /Added access rule/);
  });
});
