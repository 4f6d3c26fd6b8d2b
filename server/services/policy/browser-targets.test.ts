// Browser targets in a policy document (issue #18): what the document check refuses, and which
// changes are relaxations that wait for a second administrator.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from 'typebox/value';
import { type PolicyDocument, PolicyDocumentSchema } from '../../../core/api/policy.js';
import { policyDocumentProblems } from './check.js';
import { relaxations } from './relaxation.js';
import { defaultPolicyDocument } from './resolve.js';

const BASE = defaultPolicyDocument({
  sessionLifetimeS: 8 * 3600,
  idleTimeoutS: 900,
  dns: { servers: [], searchDomains: [] },
  requireKillSwitch: false,
});
type Browser = NonNullable<PolicyDocument['browser']>;
const WIKI = { name: 'wiki', host: '10.20.0.5', port: 80 };
const withBrowser = (browser: Browser | undefined): PolicyDocument => {
  const d = structuredClone(BASE) as PolicyDocument;
  if (browser) d.browser = browser;
  return d;
};
const browser = (patch: Partial<Browser> = {}): Browser => ({
  targets: [WIKI],
  clipboard: false,
  file_transfer: false,
  ...patch,
});

describe('browser targets: the document check', () => {
  it('takes a document without them (older documents) and one with a plain target', () => {
    assert.ok(Value.Check(PolicyDocumentSchema, withBrowser(undefined)));
    assert.deepEqual(policyDocumentProblems(withBrowser(browser())), []);
  });

  it('the schema refuses hostile names, hosts and ports', () => {
    for (const target of [
      { ...WIKI, name: 'wiki;rm -rf /' },
      { ...WIKI, name: 'a'.repeat(33) },
      { ...WIKI, name: 'Wiki' },
      { ...WIKI, host: 'wiki.internal' },
      { ...WIKI, host: '10.20.0.5 ' },
      { ...WIKI, host: '10.20.0.256' },
      { ...WIKI, host: '010.20.0.5' },
      { ...WIKI, port: 0 },
      { ...WIKI, port: 65536 },
      { ...WIKI, path: '/' },
    ])
      assert.equal(
        Value.Check(PolicyDocumentSchema, withBrowser(browser({ targets: [target] }))),
        false,
        JSON.stringify(target),
      );
  });

  it('refuses loopback, link-local, "this network", multicast and a name used twice — by path, not value', () => {
    const problems = policyDocumentProblems(
      withBrowser(
        browser({
          targets: [
            { name: 'a', host: '127.0.0.1', port: 22 },
            { name: 'b', host: '169.254.169.254', port: 80 },
            { name: 'c', host: '0.0.0.0', port: 80 },
            { name: 'd', host: '239.1.1.1', port: 80 },
            { name: 'wiki', host: '10.20.0.5', port: 80 },
            { name: 'wiki', host: '10.20.0.6', port: 80 },
          ],
        }),
      ),
    );
    assert.deepEqual(problems, [
      '/browser/targets/0/host: a reserved, loopback, link-local or multicast address',
      '/browser/targets/1/host: a reserved, loopback, link-local or multicast address',
      '/browser/targets/2/host: a reserved, loopback, link-local or multicast address',
      '/browser/targets/3/host: a reserved, loopback, link-local or multicast address',
      '/browser/targets/5/name: used twice',
    ]);
    // The near miss: the last address before multicast is an ordinary one.
    assert.deepEqual(
      policyDocumentProblems(
        withBrowser(browser({ targets: [{ name: 'e', host: '223.255.255.254', port: 443 }] })),
      ),
      [],
    );
  });
});

describe('browser targets: relaxations', () => {
  const cases: Array<[string, Browser | undefined, Browser | undefined, string[]]> = [
    ['a first target', undefined, browser(), ['browser targets added: 10.20.0.5:80']],
    [
      'another port of the same host',
      browser(),
      browser({ targets: [WIKI, { ...WIKI, name: 'wiki-tls', port: 443 }] }),
      ['browser targets added: 10.20.0.5:443'],
    ],
    [
      'a target renamed (same address): not a widening',
      browser(),
      browser({ targets: [{ ...WIKI, name: 'docs' }] }),
      [],
    ],
    ['a target removed', browser(), browser({ targets: [] }), []],
    ['clipboard on', browser(), browser({ clipboard: true }), ['browser clipboard on']],
    ['file transfer on', browser(), browser({ file_transfer: true }), ['browser file transfer on']],
    ['clipboard off again', browser({ clipboard: true }), browser(), []],
    ['the browser section dropped', browser({ clipboard: true }), undefined, []],
  ];
  for (const [name, before, after, expected] of cases)
    it(name, () => assert.deepEqual(relaxations(withBrowser(before), withBrowser(after)), expected));
});
