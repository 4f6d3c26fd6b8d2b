import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import {
  createSoftHsmToken,
  type SoftHsmToken,
  softHsmPeers,
  useSoftHsmToken,
} from '../../scripts/testkit/softhsm.js';
import { CrlPublisher } from './crl.js';
import { describeKeyStorage, loadOrCreatePki } from './embedded-pki.js';
import { type Hsm, openHsm } from './hsm/hsm.js';
import { createEndEntity, dn, type Issuer } from './issue.js';
import { generateEcKeyPair, SIGNING_ALG } from './keys.js';
import { exportRoot, installIntermediate, signIntermediate, writeIntermediateCsr } from './offline-root.js';
import { PROFILES } from './profiles.js';
import { x509 } from './x509.js';

const names = { commonName: 'backend-api', dns: ['localhost'] };
const code = (c: string) => (err: unknown) => isViworksError(err) && err.code === c;
const PKI_COMMAND = new URL('../bin/pki-command.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

/** `viworks-server pki …` through pkiCommandLine in a fresh process: no config, no VIWORKS_* settings. */
function pkiCli(cwd: string, args: string[]) {
  const script = `import(${JSON.stringify(PKI_COMMAND)}).then(async (m) => { process.exitCode = await m.pkiCommandLine(['pki', ...process.argv.slice(1)]); })`;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd };
  return spawnSync(process.execPath, ['--import', TSX, '-e', script, '--', ...args], {
    cwd,
    env,
    encoding: 'utf8',
  });
}

function openssl(cwd: string, args: string[]): string {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

/** A short-lived session certificate from `issuer`, written to `<dir>/<file>`. */
async function issueTo(issuer: Issuer, dir: string, file: string) {
  const { publicKey } = await generateEcKeyPair();
  const cert = await createEndEntity(
    issuer,
    PROFILES['vpn-client'],
    { commonName: 's-1' },
    publicKey,
    600_000,
  );
  writeFileSync(join(dir, file), cert.toString('pem'));
  return cert;
}

describe('offline root and the intermediate round trip (SoftHSM2)', { skip: softHsmPeers().skip }, () => {
  let token: SoftHsmToken;
  let hsm: Hsm;
  let base: string;
  let dataDir: string;
  let media: string;
  let rootMachine: string;

  before(async () => {
    token = await createSoftHsmToken();
    useSoftHsmToken(token);
    hsm = await openHsm({ module: token.module, tokenLabel: token.tokenLabel, pinFile: token.pinFile });
    base = mkdtempSync(join(tmpdir(), 'viw-offline-root-'));
    dataDir = join(base, 'data');
    media = join(base, 'media');
    rootMachine = join(base, 'root-machine');
    mkdirSync(rootMachine);
  });
  after(async () => {
    await hsm?.close();
    rmSync(base, { recursive: true, force: true });
    await token?.destroy();
  });

  it('export-root refuses a directory inside the data directory', async () => {
    await loadOrCreatePki(dataDir, names, { hsm });
    await assert.rejects(exportRoot(dataDir, join(dataDir, 'media')), code('VIW_E_VALIDATION'));
    await assert.rejects(exportRoot(dataDir, dataDir), code('VIW_E_VALIDATION'));
    assert.ok(existsSync(join(dataDir, 'pki', 'root.key')), 'nothing removed');
  });

  it('export-root writes the root to the medium, wipes it here, and the backend runs and issues without it', async () => {
    const keyPath = join(dataDir, 'pki', 'root.key');
    const original = readFileSync(keyPath);
    // A second name for the key's inode shows the bytes were overwritten, not just unlinked.
    linkSync(keyPath, join(base, 'root.key.link'));
    const result = await exportRoot(dataDir, media);
    assert.equal(statSync(join(media, 'root.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(media, 'root.crt')).mode & 0o777, 0o644);
    assert.deepEqual(readFileSync(join(media, 'root.key')), original);
    assert.equal(existsSync(keyPath), false);
    const leftover = readFileSync(join(base, 'root.key.link'));
    assert.equal(leftover.length, original.length);
    assert.ok(
      leftover.every((b) => b === 0),
      'root key overwritten with zeros',
    );
    assert.equal(result.removed, keyPath);

    const pki = await loadOrCreatePki(dataDir, names, { hsm });
    assert.equal(describeKeyStorage(pki).root, 'offline');
    assert.throws(() => pki.root.keys, code('VIW_E_CONFIG'));
    await issueTo(pki.intermediates['int-vpn'], base, 'leaf.pem');
    writeFileSync(join(base, 'int.pem'), pki.intermediates['int-vpn'].cert.toString('pem'));
    assert.match(
      openssl(base, ['verify', '-CAfile', join(media, 'root.crt'), '-untrusted', 'int.pem', 'leaf.pem']),
      /leaf\.pem: OK/,
    );
    await assert.rejects(exportRoot(dataDir, join(base, 'media-2')), code('VIW_E_CONFLICT'));
  });

  it('a missing intermediate cannot be made without the root: VIW_E_CONFIG pointing at the offline flow', async () => {
    const crt = join(dataDir, 'pki', 'int-device.crt');
    renameSync(crt, `${crt}.away`);
    try {
      await assert.rejects(loadOrCreatePki(dataDir, names, { hsm }), (err: unknown) => {
        assert.ok(isViworksError(err, 'VIW_E_CONFIG'));
        assert.match(err.details.join('\n'), /int-device: no certificate/);
        assert.match(err.details.join('\n'), /intermediate-csr/);
        return true;
      });
    } finally {
      renameSync(`${crt}.away`, crt);
    }
  });

  it('renews int-tls offline: csr (token key) → sign with only the root elsewhere → install', async () => {
    const old = await loadOrCreatePki(dataDir, names, { hsm });
    await issueTo(old.intermediates['int-tls'], base, 'old-leaf.pem');
    const csr = await writeIntermediateCsr(dataDir, 'int-tls', join(base, 'int-tls.csr'), { hsm });
    assert.equal(csr.key_storage, 'pkcs11');
    assert.ok((await hsm.describe()).keys.some((k) => k.label === 'viworks-int-tls-next' && k.nonExportable));

    // The root machine: the medium's two files and the CSR, nothing else.
    for (const f of ['root.key', 'root.crt']) copyFileSync(join(media, f), join(rootMachine, f));
    copyFileSync(join(base, 'int-tls.csr'), join(rootMachine, 'int-tls.csr'));
    const usage = pkiCli(rootMachine, ['sign-intermediate', '--root-dir', '.', '--name', 'int-tls']);
    assert.equal(usage.status, 64, usage.stderr);
    const signed = pkiCli(rootMachine, [
      'sign-intermediate',
      '--root-dir',
      '.',
      '--csr',
      'int-tls.csr',
      '--name',
      'int-tls',
      '--out',
      'int-tls.crt',
      '--days',
      '365',
      '--json',
    ]);
    assert.equal(signed.status, 0, signed.stderr);
    const report = JSON.parse(signed.stdout) as {
      v: number;
      subject: string;
      serial: string;
      not_after: string;
    };
    assert.equal(report.v, 1);
    assert.equal(report.subject, 'CN=ViWorkS int-tls, O=ViWorkS');
    assert.ok(Date.parse(report.not_after) - Date.now() <= 365 * 86_400_000 + 60_000);
    assert.match(
      openssl(rootMachine, ['verify', '-CAfile', 'root.crt', 'int-tls.crt']),
      /int-tls\.crt: OK/,
      'the new intermediate chains to the root',
    );

    const installed = await installIntermediate(dataDir, 'int-tls', join(rootMachine, 'int-tls.crt'), {
      hsm,
    });
    assert.equal(installed.key_storage, 'pkcs11');
    assert.equal(installed.serial, report.serial);
    assert.equal(installed.previous?.serial, old.intermediates['int-tls'].cert.serialNumber);
    assert.equal(
      readFileSync(join(dataDir, 'pki', 'int-tls.prev.crt'), 'utf8'),
      old.intermediates['int-tls'].cert.toString('pem'),
    );
    const labels = (await hsm.describe()).keys.map((k) => k.label);
    assert.ok(labels.includes('viworks-int-tls-prev') && !labels.includes('viworks-int-tls-next'));

    const now = await loadOrCreatePki(dataDir, names, { hsm });
    assert.equal(now.intermediates['int-tls'].cert.serialNumber, report.serial);
    assert.equal(now.storage.intermediates['int-tls'], 'pkcs11');
    assert.notEqual(
      now.backendApi.certPem,
      old.backendApi.certPem,
      'backend-api re-issued by the new int-tls',
    );
    assert.deepEqual(now.backendApi.pins, old.backendApi.pins, 'with the same key');
    const [leafPem, intPem] = now.backendApi.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
    writeFileSync(join(base, 'api.pem'), leafPem!);
    writeFileSync(join(base, 'api-int.pem'), intPem!);
    assert.match(
      openssl(base, ['verify', '-CAfile', join(media, 'root.crt'), '-untrusted', 'api-int.pem', 'api.pem']),
      /api\.pem: OK/,
    );
    // Certificates of the replaced intermediate still verify with the published bundle.
    writeFileSync(join(base, 'bundle.pem'), new CrlPublisher(now, dataDir, async () => []).caBundlePem());
    assert.match(
      openssl(base, [
        'verify',
        '-CAfile',
        join(media, 'root.crt'),
        '-untrusted',
        'bundle.pem',
        'old-leaf.pem',
      ]),
      /old-leaf\.pem: OK/,
    );
    await issueTo(now.intermediates['int-tls'], base, 'new-leaf.pem');
    assert.match(
      openssl(base, [
        'verify',
        '-CAfile',
        join(media, 'root.crt'),
        '-untrusted',
        'bundle.pem',
        'new-leaf.pem',
      ]),
      /new-leaf\.pem: OK/,
    );
    // Installing the same certificate again is harmless (a re-run after an interruption).
    await installIntermediate(dataDir, 'int-tls', join(rootMachine, 'int-tls.crt'), { hsm });
  });

  it('refuses a CSR signed by another key, wrong names, a certificate from another root or for another key', async () => {
    const before = readFileSync(join(dataDir, 'pki', 'int-vpn.crt'), 'utf8');
    // A CSR whose signature is not by the key it carries.
    const [a, b] = [await generateEcKeyPair(), await generateEcKeyPair()];
    const forged = await x509.Pkcs10CertificateRequestGenerator.create({
      name: dn('ViWorkS int-vpn'),
      keys: { publicKey: b.publicKey, privateKey: a.privateKey },
      signingAlgorithm: SIGNING_ALG,
    });
    writeFileSync(join(rootMachine, 'forged.csr'), forged.toString('pem'));
    const sign = (csr: string, name: 'int-vpn' | 'int-device', out: string, rootDir = rootMachine) =>
      signIntermediate({ rootDir, csrFile: join(rootMachine, csr), name, outFile: join(rootMachine, out) });
    await assert.rejects(sign('forged.csr', 'int-vpn', 'forged.crt'), code('VIW_E_SIGNATURE_INVALID'));

    // Our pending int-vpn key's CSR, signed under the wrong name.
    await writeIntermediateCsr(dataDir, 'int-vpn', join(rootMachine, 'int-vpn.csr'), { hsm });
    await assert.rejects(sign('int-vpn.csr', 'int-device', 'wrong-name.crt'), code('VIW_E_VALIDATION'));

    // Signed by a root that is not ours.
    const other = join(base, 'other');
    await loadOrCreatePki(other, names);
    const otherRoot = join(base, 'other-root');
    await exportRoot(other, otherRoot);
    await sign('int-vpn.csr', 'int-vpn', 'other-root.crt', otherRoot);
    await assert.rejects(
      installIntermediate(dataDir, 'int-vpn', join(rootMachine, 'other-root.crt'), { hsm }),
      code('VIW_E_SIGNATURE_INVALID'),
    );

    // Our root, the right name, but not the pending key.
    const stranger = await generateEcKeyPair();
    const strangerCsr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: dn('ViWorkS int-vpn'),
      keys: stranger,
      signingAlgorithm: SIGNING_ALG,
    });
    writeFileSync(join(rootMachine, 'stranger.csr'), strangerCsr.toString('pem'));
    await sign('stranger.csr', 'int-vpn', 'stranger.crt');
    await assert.rejects(
      installIntermediate(dataDir, 'int-vpn', join(rootMachine, 'stranger.crt'), { hsm }),
      code('VIW_E_CONFLICT'),
    );

    // The right certificate installed under another name.
    await sign('int-vpn.csr', 'int-vpn', 'int-vpn.crt');
    await assert.rejects(
      installIntermediate(dataDir, 'int-device', join(rootMachine, 'int-vpn.crt'), { hsm }),
      code('VIW_E_VALIDATION'),
    );
    assert.equal(readFileSync(join(dataDir, 'pki', 'int-vpn.crt'), 'utf8'), before, 'nothing installed');
    assert.ok(await hsm.pendingCaKeyPair('int-vpn', false), 'the pending key is still waiting');
    // And the good one goes in.
    const ok = await installIntermediate(dataDir, 'int-vpn', join(rootMachine, 'int-vpn.crt'), { hsm });
    assert.equal(ok.key_storage, 'pkcs11');
  });

  it('the CLI: status, export-root and intermediate-csr with the token from the environment', () => {
    const cliData = join(base, 'cli-data');
    const env = {
      ...token.env,
      VIWORKS_DATA_DIR: cliData,
      VIWORKS_PKCS11_MODULE: token.module,
      VIWORKS_PKCS11_TOKEN: token.tokenLabel,
      VIWORKS_PKCS11_PIN_FILE: token.pinFile,
    };
    const cli = (args: string[]) => {
      const script = `import(${JSON.stringify(PKI_COMMAND)}).then(async (m) => { process.exitCode = await m.pkiCommandLine(['pki', ...process.argv.slice(1)]); })`;
      const r = spawnSync(process.execPath, ['--import', TSX, '-e', script, '--', ...args], {
        env,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    type Status = {
      cas: { name: string; key_storage: string; pending_key: string | null }[];
      hsm: unknown;
      audit: string;
    };
    const empty = cli(['status', '--json']) as unknown as Status;
    assert.ok(
      empty.cas.every((ca) => ca.key_storage === 'missing'),
      'status creates nothing',
    );
    assert.equal(existsSync(join(cliData, 'pki', 'root.crt')), false);
    const exported = cli(['export-root', '--out', join(base, 'cli-media'), '--json']);
    assert.equal(exported.v, 1);
    cli(['intermediate-csr', '--name', 'int-vpn', '--out', join(base, 'cli.csr'), '--json']);
    const status = cli(['status', '--json']) as unknown as Status;
    assert.deepEqual(
      status.cas.map((ca) => [ca.name, ca.key_storage, ca.pending_key]),
      [
        ['root', 'offline', null],
        ['int-tls', 'pkcs11', null],
        ['int-vpn', 'pkcs11', 'pkcs11'],
        ['int-device', 'pkcs11', null],
      ],
    );
    assert.ok(status.hsm, 'token described');
    const usage = spawnSync(
      process.execPath,
      [
        '--import',
        TSX,
        '-e',
        `import(${JSON.stringify(PKI_COMMAND)}).then(async (m) => { process.exitCode = await m.pkiCommandLine(['pki', 'export-root']); })`,
      ],
      { env, encoding: 'utf8' },
    );
    assert.equal(usage.status, 64);
  });

  it('runs the same round trip with file keys when no token is configured', async () => {
    const plain = join(base, 'plain');
    const plainMedia = join(base, 'plain-media');
    await loadOrCreatePki(plain, names);
    await exportRoot(plain, plainMedia);
    const csr = await writeIntermediateCsr(plain, 'int-device', join(base, 'plain.csr'));
    assert.equal(csr.key_storage, 'file');
    assert.equal(statSync(join(plain, 'pki', 'int-device.next.key')).mode & 0o777, 0o600);
    await signIntermediate({
      rootDir: plainMedia,
      csrFile: join(base, 'plain.csr'),
      name: 'int-device',
      outFile: join(base, 'plain.crt'),
    });
    const done = await installIntermediate(plain, 'int-device', join(base, 'plain.crt'));
    assert.equal(done.key_storage, 'file');
    assert.ok(existsSync(join(plain, 'pki', 'int-device.prev.key')));
    assert.equal(existsSync(join(plain, 'pki', 'int-device.next.key')), false);
    const pki = await loadOrCreatePki(plain, names);
    assert.equal(pki.intermediates['int-device'].cert.serialNumber, done.serial);
    assert.deepEqual(describeKeyStorage(pki), {
      root: 'offline',
      'int-tls': 'file',
      'int-vpn': 'file',
      'int-device': 'file',
      audit: 'file',
    });
  });
});
