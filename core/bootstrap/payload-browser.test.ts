// The bootstrap's optional `browser` (issue #18): the viewer of the session's isolated browser on
// the gateway. Only a viewer URL of the gateway's exact form is taken (plain HTTP to an IPv4
// literal inside the tunnel, a 32-character random path), with the target names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { validateBootstrap } from './payload.js';
import { NOW, sample } from './testing/sample.js';

const PATH = 'AbCdEfGhIjKlMnOpQrStUvWxYz012-_9';
const URL_OK = `http://10.8.0.1:8080/b/${PATH}/`;

const withBrowser = (browser: unknown) => ({ ...structuredClone(sample()), browser });
const refused = (browser: unknown) =>
  assert.throws(
    () => validateBootstrap(withBrowser(browser), NOW),
    (e) => isViworksError(e) && e.code === 'VIW_E_BOOTSTRAP_INVALID',
    JSON.stringify(browser),
  );

describe('bootstrap payload: the isolated browser', () => {
  it('takes a viewer of the gateway form, and a payload without one', () => {
    const p = withBrowser({ url: URL_OK, targets: ['wiki', 'grafana'] });
    assert.deepEqual(validateBootstrap(p, NOW), p);
    assert.equal('browser' in validateBootstrap(sample(), NOW), false);
  });

  it('refuses other URLs, bad names, no targets and unknown fields', () => {
    for (const url of [
      `https://10.8.0.1:8080/b/${PATH}/`,
      `http://gw.example:8080/b/${PATH}/`,
      `http://10.8.0.256:8080/b/${PATH}/`,
      `http://10.8.0.1:8080/b/${PATH.slice(1)}/`,
      `http://10.8.0.1:8080/b/${PATH}/vnc.html`,
      `http://10.8.0.1:8080/b/${PATH}/?x=1`,
      `javascript:alert(1)//http://10.8.0.1:8080/b/${PATH}/`,
    ])
      refused({ url, targets: ['wiki'] });
    refused({ url: URL_OK, targets: [] });
    refused({ url: URL_OK, targets: ['Wiki;rm'] });
    refused({ url: URL_OK, targets: ['wiki'], clipboard: true });
  });
});
