// resolv.conf management on real files: the session's servers go in, and what was there comes back
// byte for byte (and mode for mode, or as the same symlink) on restore — also from a new manager,
// as after the daemon died — while hostile values write nothing at all.
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ResolvConfManager, renderResolvConf } from './resolv-conf.js';

const ORIGINAL = Buffer.from(
  '# the LAN resolver\nnameserver 192.168.1.1\nsearch home.lan\noptions edns0 trust-ad\n\n',
);
const PUSHED = { servers: ['10.8.0.1', 'fd00:8::1'], searchDomains: ['corp.example', 'eng.corp.example'] };

let dir: string;
let path: string;
let stateFile: string;
const manager = () => new ResolvConfManager({ path, stateFile });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'viw-dns-'));
  path = join(dir, 'resolv.conf');
  stateFile = join(dir, 'dns-state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolv.conf management', () => {
  it('applies the pushed servers and search domains, and restores the file byte for byte', () => {
    writeFileSync(path, ORIGINAL);
    chmodSync(path, 0o640);
    const m = manager();
    m.apply(PUSHED);
    assert.equal(readFileSync(path, 'utf8'), renderResolvConf(PUSHED));
    assert.match(
      readFileSync(path, 'utf8'),
      /^nameserver 10\.8\.0\.1\nnameserver fd00:8::1\nsearch corp\.example eng\.corp\.example$/m,
    );
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);
    assert.equal(m.applied(), true);
    m.apply({ servers: ['10.8.0.2'], searchDomains: [] }); // a change mid-session keeps the first record
    m.restore();
    assert.ok(readFileSync(path).equals(ORIGINAL));
    assert.equal(statSync(path).mode & 0o777, 0o640);
    assert.equal(existsSync(stateFile), false);
    assert.equal(m.applied(), false);
    m.restore(); // nothing applied: nothing happens
    assert.ok(readFileSync(path).equals(ORIGINAL));
  });

  it('after the daemon died: a new manager (the next start) restores from the state file', () => {
    writeFileSync(path, ORIGINAL);
    manager().apply(PUSHED);
    manager().restore();
    assert.ok(readFileSync(path).equals(ORIGINAL));
  });

  it('a resolver manager’s symlink comes back as the same symlink; an absent file as absent', () => {
    writeFileSync(join(dir, 'stub-resolv.conf'), 'nameserver 127.0.0.53\n');
    symlinkSync('stub-resolv.conf', path);
    const m = manager();
    m.apply(PUSHED);
    assert.equal(lstatSync(path).isSymbolicLink(), false, 'the session writes a file of its own');
    assert.equal(
      readFileSync(join(dir, 'stub-resolv.conf'), 'utf8'),
      'nameserver 127.0.0.53\n',
      'the stub is untouched',
    );
    m.restore();
    assert.equal(readlinkSync(path), 'stub-resolv.conf');
    rmSync(path);
    m.apply(PUSHED);
    m.restore();
    assert.equal(existsSync(path), false);
  });

  it('refuses hostile or malformed values and writes nothing', () => {
    writeFileSync(path, ORIGINAL);
    const bad = [
      { servers: ['10.8.0.1\noptions ndots:15'], searchDomains: [] },
      { servers: ['ns.example'], searchDomains: [] },
      { servers: [], searchDomains: [] },
      { servers: ['10.8.0.1', '10.8.0.2', '10.8.0.3', '10.8.0.4'], searchDomains: [] },
      { servers: ['10.8.0.1'], searchDomains: ['corp.example\nnameserver 6.6.6.6'] },
      { servers: ['10.8.0.1'], searchDomains: ['bad_label.example'] },
      { servers: ['10.8.0.1'], searchDomains: [`${'a'.repeat(64)}.example`] },
      { servers: ['10.8.0.1'], searchDomains: ['-lead.example'] },
    ];
    for (const s of bad) {
      assert.throws(() => manager().apply(s), { code: 'VIW_E_VALIDATION' }, JSON.stringify(s));
      assert.ok(readFileSync(path).equals(ORIGINAL));
      assert.equal(existsSync(stateFile), false);
    }
  });

  it('refuses a state file that is not its own (VIW_E_STATE) instead of writing from it', () => {
    writeFileSync(path, ORIGINAL);
    writeFileSync(
      stateFile,
      '{"v":1,"path":"/etc/resolv.conf","original":{"kind":"file","mode":420,"bytes_b64":"eA=="},"servers":[],"extra":1}',
    );
    assert.throws(() => manager().restore(), { code: 'VIW_E_STATE' });
    assert.ok(readFileSync(path).equals(ORIGINAL));
  });
});
