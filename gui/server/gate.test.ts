// The GUI server's gate, rule by rule: the launch token works once; the session cookie, the Host
// and the Origin / Sec-Fetch-Site are each required, and any one wrong refuses the request.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cookieValue, LaunchGate, type RequestFacts, SESSION_COOKIE } from './gate.js';
import { writeOpenerPage } from './opener.js';

const PORT = 41234;
const ok = (cookie: string, over: Partial<RequestFacts> = {}): RequestFacts => ({
  method: 'GET',
  host: `127.0.0.1:${PORT}`,
  origin: undefined,
  secFetchSite: 'same-origin',
  cookie,
  ...over,
});

function launched(): { gate: LaunchGate; cookie: string } {
  const gate = new LaunchGate(PORT);
  const token = new URL(gate.launchUrl()).searchParams.get('token') ?? '';
  const set = gate.exchange(token);
  assert.ok(set);
  assert.match(set, /; HttpOnly; SameSite=Strict; Path=\/$/);
  return { gate, cookie: set.split(';')[0] ?? '' };
}

describe('LaunchGate', () => {
  it('the launch token works once, and only the right one', () => {
    const gate = new LaunchGate(PORT);
    const url = new URL(gate.launchUrl());
    assert.equal(url.origin, `http://127.0.0.1:${PORT}`);
    const token = url.searchParams.get('token') ?? '';
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(gate.exchange(`${token.slice(0, -1)}x`), null);
    assert.equal(gate.exchange(undefined), null);
    assert.ok(gate.exchange(token));
    assert.equal(gate.exchange(token), null, 'spent');
    assert.throws(() => gate.launchUrl());
  });

  it('passes the window: right cookie, host, origin', () => {
    const { gate, cookie } = launched();
    assert.equal(gate.check(ok(cookie)), null);
    assert.equal(gate.check(ok(cookie, { method: 'POST', origin: `http://127.0.0.1:${PORT}` })), null);
    assert.equal(gate.check(ok(`other=1; ${cookie}`, { secFetchSite: 'none' })), null);
  });

  it('refuses each wrong part', () => {
    const { gate, cookie } = launched();
    assert.equal(gate.check(ok('')), 'session');
    assert.equal(gate.check(ok(`${SESSION_COOKIE}=wrong`)), 'session');
    assert.equal(gate.check(ok(cookie, { host: `localhost:${PORT}` })), 'host');
    assert.equal(gate.check(ok(cookie, { host: `127.0.0.1:${PORT + 1}` })), 'host');
    assert.equal(gate.check(ok(cookie, { host: undefined })), 'host');
    assert.equal(gate.check(ok(cookie, { origin: 'http://evil.example' })), 'origin');
    assert.equal(gate.check(ok(cookie, { origin: 'null' })), 'origin');
    assert.equal(gate.check(ok(cookie, { secFetchSite: 'cross-site' })), 'origin');
    assert.equal(gate.check(ok(cookie, { secFetchSite: 'same-site' })), 'origin');
    assert.equal(gate.check(ok(cookie, { method: 'POST' })), 'origin', 'a change must name its origin');
  });

  it('the launch request needs no cookie, may come from anywhere (the token is its proof), but the right host', () => {
    const gate = new LaunchGate(PORT);
    assert.equal(gate.check(ok('', { secFetchSite: 'none' }), true), null);
    assert.equal(gate.check(ok('', { secFetchSite: 'cross-site', origin: 'null' }), true), null);
    assert.equal(gate.check(ok('', { host: 'rebind.example' }), true), 'host');
    assert.equal(gate.check(ok('', { method: 'POST', origin: 'http://evil.example' }), true), 'origin');
  });

  it('reads one cookie out of a header', () => {
    assert.equal(cookieValue('a=1; viworks_gui=xyz; b=2', 'viworks_gui'), 'xyz');
    assert.equal(cookieValue('viworks_gui_x=1', 'viworks_gui'), undefined);
    assert.equal(cookieValue(undefined, 'viworks_gui'), undefined);
  });
});

describe('the opener page', () => {
  it('is readable by this user only, forwards to the launch URL, and goes away', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-gui-open-'));
    try {
      const page = writeOpenerPage('http://127.0.0.1:1/launch?token=abc', dir);
      assert.equal(statSync(page.path).mode & 0o777, 0o600);
      assert.match(
        readFileSync(page.path, 'utf8'),
        /http-equiv="refresh" content="0;url=http:\/\/127\.0\.0\.1:1\/launch\?token=abc"/,
      );
      page.remove();
      assert.equal(existsSync(page.path), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
