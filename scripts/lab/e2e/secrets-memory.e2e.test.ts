// Issue #13: the session's secrets do not linger in viworksd's memory. In the lab (real viworksd as
// root with its device keys in a software TPM, real fwknopd, stunnel and OpenVPN), the test reads the daemon's writable memory through
// /proc/<pid>/mem and looks for the session's tls-crypt key, its SPA encryption and HMAC keys and
// its client private key — raw, base64, hex and PEM-body forms — taking each from the other side
// (the gateway node's files) or, for the per-session client key, from the connected daemon itself.
// While connected the scan must find them (so it can fail); after `viworks disconnect` it must find
// none of them. The user's password (typed at login, lifted out of the local API's request body as
// bytes, never a string) must be gone already while connected.
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import {
  formsOf,
  type Needle,
  needlesFound,
  pemPrivateKeyBodies,
  writableRegions,
} from '../../testkit/memory-scan.js';
import { swtpmPeers } from '../../testkit/swtpm.js';
import { readDemoUser } from '../driver.js';
import { gatewaySecretFiles } from '../gateway-node.js';
import { driverStep, labDown, labUp } from '../lab.js';
import { type LabPlan, labPlan } from '../plan.js';
import { repoPath } from '../repo.js';
import { pidsNamed } from '../topology.js';
import { needLabPeers, viworksIn } from './helpers.js';

const LAB_ID = 205;
const peers = needLabPeers({ binaries: ['/usr/sbin/nft'], apt: 'nftables' });
const self = { argv: [process.execPath, repoPath('dist/scripts/lab/cli.js')] };

let plan: LabPlan;
let daemonPid = 0;
const needles: Needle[] = [];

/** The device's SPA keys as fwknopd holds them (its access.conf stanza). */
function spaKeysOf(deviceId: string): { enc: Buffer; hmac: Buffer } {
  const conf = readFileSync(gatewaySecretFiles(plan).accessConf, 'utf8');
  const stanza = conf.split(/\n\s*\n/).find((s) => s.includes(`REQUIRE_USERNAME ${deviceId}`));
  assert.ok(stanza, 'the device has its own stanza on the gateway');
  const value = (k: string) =>
    Buffer.from(stanza.match(new RegExp(`^${k} (\\S+)$`, 'm'))?.[1] ?? '', 'base64');
  return { enc: value('KEY_BASE64'), hmac: value('HMAC_KEY_BASE64') };
}

/**
 * The client key's private scalar as OpenSSL holds it once parsed: big-endian, and as its BIGNUM's
 * limbs (least significant first on a little-endian machine: the bytes reversed).
 */
function scalarNeedles(pkcs8: Buffer): Needle[] {
  const jwk = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  const d = Buffer.from(String(jwk.d), 'base64url');
  assert.equal(d.length, 32, 'a P-256 scalar');
  return [
    { name: 'client key scalar', bytes: d },
    { name: 'client key scalar (limbs)', bytes: Buffer.from(d).reverse() },
  ];
}

/** Every line of the gateway's tls-crypt key (the daemon gets it as these hex lines), and its bytes. */
function tlsCryptNeedles(): Needle[] {
  const text = readFileSync(gatewaySecretFiles(plan).tlsCryptKey, 'utf8');
  const lines = text.split('\n').filter((l) => /^[0-9a-f]{32}$/.test(l));
  assert.equal(lines.length, 16);
  return [
    ...lines.map((l, i) => ({ name: `tls-crypt line ${i + 1}`, bytes: Buffer.from(l) })),
    { name: 'tls-crypt (raw)', bytes: Buffer.from(lines.join(''), 'hex') },
  ];
}

describe('no session secret lingers in viworksd after disconnect (a TPM-backed device)', {
  skip: peers.skip || swtpmPeers().skip,
}, () => {
  before(async () => {
    plan = labPlan(LAB_ID);
    // The client's device keys in a TPM (swtpm in the client namespace): a TPM-backed device
    // connects through the real data path, and its private keys are not in viworksd's memory at all.
    await labUp(LAB_ID, self, (m) => process.stderr.write(`lab: ${m}\n`), { clientKeyStore: 'tpm2' });
    await driverStep(plan, self, 'enroll-demo');
  });
  after(() => labDown(LAB_ID));

  it('connected: the scan finds every secret of the session (it can fail)', async () => {
    const r = JSON.parse(await driverStep(plan, self, 'connect-demo')) as { code: number };
    assert.equal(r.code, 0);
    [daemonPid = 0] = await pidsNamed(plan.client.ns, 'viworksd');
    assert.ok(daemonPid > 0);
    const status = await viworksIn(plan, ['status']);
    const device = status.json.device as { device_id: string; key_protection: string; key_store: string };
    assert.equal(device.key_protection, 'tpm2', 'a TPM-backed device');
    assert.equal(device.key_store, 'tpm2');
    const deviceId = device.device_id;
    const wire = toWireId('d', deviceId);
    const spa = spaKeysOf(wire);
    assert.equal(spa.enc.length, 32);
    needles.push(...formsOf('SPA key', spa.enc), ...formsOf('SPA HMAC key', spa.hmac), ...tlsCryptNeedles());

    const regions = writableRegions(daemonPid);
    const bodies = pemPrivateKeyBodies(regions);
    assert.equal(bodies.length, 1, 'the session client key, as PEM, once');
    const body = bodies[0]!;
    const der = Buffer.from(body, 'base64');
    needles.push(
      { name: 'client key PEM body', bytes: Buffer.from(body.slice(0, 64)) },
      { name: 'client key PEM body (end)', bytes: Buffer.from(body.slice(-40)) },
      ...formsOf('client key DER', der).filter((n) => !n.name.endsWith('(base64)')),
      ...scalarNeedles(der),
    );
    const found = new Set(needlesFound(regions, needles));
    // The password reached viworksd as bytes (the local API lifts it out of the request body) and
    // was wiped when the login call returned: already gone while the session runs.
    const password = { name: 'password', bytes: Buffer.from(readDemoUser(plan).password) };
    assert.deepEqual(needlesFound(regions, [password]), [], 'the password is gone once the login returned');
    needles.push(password);
    for (const expected of [
      'SPA key (raw)',
      'SPA HMAC key (raw)',
      'tls-crypt line 1',
      'tls-crypt line 16',
      'client key PEM body',
      'client key scalar (limbs)',
    ])
      assert.ok(found.has(expected), `while connected the scan finds ${expected}`);
  });

  it('after disconnect: none of them, in any form', async () => {
    const r = await viworksIn(plan, ['disconnect']);
    assert.equal(r.code, 0, JSON.stringify(r.json));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const [pid] = await pidsNamed(plan.client.ns, 'viworksd');
    assert.equal(pid, daemonPid, 'the same daemon process');
    const regions = writableRegions(daemonPid);
    const found = needlesFound(regions, needles);
    assert.deepEqual(found, [], `still in viworksd's memory: ${found.join(', ')}`);
    assert.deepEqual(pemPrivateKeyBodies(regions), [], 'no PEM private key block at all');
  });
});
