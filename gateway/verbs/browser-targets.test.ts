import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import type { BrowserTarget } from '../../core/gateway/browser.js';
import { checkBrowserTargets } from './browser-targets.js';

const POOL = '10.255.0.0/16';
const NODE = ['10.8.0.0/24', '203.0.113.10/32'];
const target = (host: string, port = 80, name = 'wiki'): BrowserTarget => ({ name, host, port });

/** The VIW_E_VALIDATION message, or undefined when the targets pass. */
function refusal(targets: BrowserTarget[]): string | undefined {
  try {
    checkBrowserTargets(targets, POOL, NODE);
    return undefined;
  } catch (err) {
    assert.ok(isViworksError(err, 'VIW_E_VALIDATION'), String(err));
    return err.message;
  }
}

describe('checkBrowserTargets', () => {
  test('an internal service outside every node range passes', () => {
    assert.equal(refusal([target('10.20.0.5'), target('192.168.1.9', 8443, 'crm')]), undefined);
  });

  test('refuses the ranges the node uses, naming the field and never the value', () => {
    for (const host of [
      '10.8.0.1', // the VPN server address
      '10.8.0.77', // another session's address
      '203.0.113.10', // the node's public listen address
      '127.0.0.1',
      '127.8.9.10',
      '169.254.169.254', // link-local (cloud metadata)
      '0.0.0.0',
      '10.255.0.2', // a sandbox
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      const message = refusal([target('10.20.0.5', 80, 'ok'), target(host)]);
      assert.equal(message, 'invalid request: targets[1].host is in a range this gateway uses', host);
      assert.ok(!message?.includes(host));
    }
  });

  test('near misses just outside the node ranges pass', () => {
    for (const host of ['10.8.1.1', '10.7.255.255', '203.0.113.11', '10.254.255.255', '10.9.0.1'])
      assert.equal(refusal([target(host)]), undefined, host);
  });

  test('refuses a name or a host:port given twice', () => {
    assert.match(
      refusal([target('10.20.0.5'), target('10.20.0.6')]) ?? '',
      /targets\[1\]\.name is a duplicate/,
    );
    assert.match(
      refusal([target('10.20.0.5', 80, 'a'), target('10.20.0.5', 80, 'b')]) ?? '',
      /targets\[1\] is a duplicate host and port/,
    );
    assert.equal(refusal([target('10.20.0.5', 80, 'a'), target('10.20.0.5', 81, 'b')]), undefined);
  });
});
