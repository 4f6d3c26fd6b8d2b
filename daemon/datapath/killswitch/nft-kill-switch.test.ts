// The kill switch through the real nft in a namespace this test makes: installed (read back from
// the kernel), replaced, removed (twice: a no-op the second time); and nft's refusals become a
// clear VIW_E_KILL_SWITCH.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IP, run } from '../../../scripts/testkit/netns.js';
import { needPeers } from '../../../scripts/testkit/peers.js';
import { localNft, NFT, NftKillSwitch, type NftRunner } from './nft-kill-switch.js';
import type { KillSwitchPlan } from './ruleset.js';

const peers = needPeers({ binaries: [NFT, IP], root: true, apt: 'nftables iproute2' });
const PLAN: KillSwitchPlan = {
  backend: { addresses: ['10.98.0.10'], port: 8443 },
  gateway: { address: '10.98.0.20', spaPort: 62201, tlsPort: 443 },
  tunnelInterface: 'tun*',
  allowLan: false,
};

describe('NftKillSwitch errors', () => {
  it("nft's refusal is VIW_E_KILL_SWITCH with nft's reason; a missing nft says how to install it", async () => {
    const refusing: NftRunner = async () => ({
      code: 1,
      stdout: '',
      stderr: 'Error: Could not process rule: Operation not permitted\n',
    });
    await assert.rejects(
      new NftKillSwitch(refusing).install(PLAN),
      (e: Error & { code?: string; details?: string[] }) =>
        e.code === 'VIW_E_KILL_SWITCH' && /Operation not permitted/.test(e.details?.join() ?? ''),
    );
    const missing: NftRunner = async () => ({ code: null, stdout: '', stderr: '' });
    await assert.rejects(new NftKillSwitch(missing).remove(), (e: Error & { details?: string[] }) =>
      /apt-get install nftables/.test(e.details?.join() ?? ''),
    );
  });

  it('checks the plan before running anything', async () => {
    let ran = false;
    const spy: NftRunner = async () => {
      ran = true;
      return { code: 0, stdout: '', stderr: '' };
    };
    await assert.rejects(
      new NftKillSwitch(spy).install({ ...PLAN, tunnelInterface: 'tun0"; flush ruleset' }),
      {
        code: 'VIW_E_VALIDATION',
      },
    );
    assert.equal(ran, false);
  });
});

describe('NftKillSwitch with the real nft', { skip: peers.skip }, () => {
  const ns = `viw-nks-${process.pid}`;
  const inNs: NftRunner = (args, stdin) =>
    run([IP, 'netns', 'exec', ns, NFT, ...args], {
      timeoutMs: 10_000,
      ...(stdin === undefined ? {} : { input: stdin }),
    });

  before(async () => {
    await run([IP, 'netns', 'add', ns]);
  });
  after(async () => {
    await run([IP, 'netns', 'del', ns]);
  });

  it('survives an nft that exits without reading its input (EPIPE crashed the daemon once)', async () => {
    const r = await localNft(['--version'], 'x'.repeat(4 * 1024 * 1024));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /nftables/);
  });

  it('installs, reads back, replaces, removes', async () => {
    const ks = new NftKillSwitch(inNs);
    assert.equal(await ks.installed(), false);
    await ks.install(PLAN);
    assert.equal(await ks.installed(), true);
    await ks.install({ ...PLAN, allowLan: true });
    assert.match((await inNs(['list', 'table', 'inet', 'viworks'])).stdout, /192\.168\.0\.0\/16/);
    await ks.remove();
    assert.equal(await ks.installed(), false);
    await ks.remove(); // nothing in place: still fine
    assert.equal((await inNs(['list', 'tables'])).stdout.trim(), '');
  });
});
