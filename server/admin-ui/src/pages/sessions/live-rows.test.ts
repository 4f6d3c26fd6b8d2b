import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionViewT } from '../../../../../core/api/admin.js';
import { liveRows, matches, type Pushed, remember, type SessionFilter } from './live-rows.js';

const row = (id: string, over: Partial<SessionViewT> = {}): SessionViewT => ({
  id,
  state: 'live',
  user_id: 'u1',
  username: 'carol',
  device_id: 'd1',
  gateway_id: 'g1',
  gateway_name: 'gw-1',
  created_at: '2026-12-04T10:00:00.000Z',
  expires_at: '2026-12-04T18:00:00.000Z',
  last_heartbeat_at: null,
  ended_at: null,
  end_reason: null,
  ...over,
});
const ended = (id: string) =>
  row(id, { state: 'ended', ended_at: '2026-12-04T11:00:00.000Z', end_reason: 'revoked' });
const LIVE: SessionFilter = { state: 'live', userId: '' };
const push = (...rows: SessionViewT[]) =>
  rows.reduce((m, r) => remember(m, r), new Map() as ReadonlyMap<string, Pushed>);

describe('live session rows', () => {
  it('a session that started after the list joins the first page, newest first', () => {
    const listed = [row('a')];
    const pushed = push(
      row('b', { created_at: '2026-12-04T10:05:00.000Z' }),
      row('c', { created_at: '2026-12-04T10:09:00.000Z' }),
    );
    assert.deepEqual(
      liveRows(listed, pushed, LIVE, true).map((s) => s.id),
      ['c', 'b', 'a'],
    );
    assert.deepEqual(
      liveRows(listed, pushed, LIVE, false).map((s) => s.id),
      ['a'],
      'not on a later page',
    );
  });

  it('a listed session that ends shows ended, even under the live filter', () => {
    const rows = liveRows([row('a'), row('b')], push(ended('a')), LIVE, true);
    assert.deepEqual(
      rows.map((s) => [s.id, s.state]),
      [
        ['a', 'ended'],
        ['b', 'live'],
      ],
    );
  });

  it('a session that started while the page was open and ended since stays, shown ended', () => {
    const rows = liveRows([], push(row('n'), ended('n')), LIVE, true);
    assert.deepEqual(
      rows.map((s) => [s.id, s.state]),
      [['n', 'ended']],
    );
    assert.deepEqual(
      liveRows([], push(row('n'), ended('n')), { state: 'ended', userId: '' }, true).map((s) => s.id),
      ['n'],
    );
    assert.deepEqual(
      liveRows([], push(row('n')), { state: 'ended', userId: '' }, true),
      [],
      'live: not ended yet',
    );
  });

  it('a new session outside the filter stays out', () => {
    assert.deepEqual(liveRows([], push(ended('x')), LIVE, true), []);
    assert.deepEqual(
      liveRows([], push(row('y', { user_id: 'u2' })), { state: 'all', userId: 'u1' }, true),
      [],
    );
    assert.equal(liveRows([], push(row('y')), { state: 'all', userId: 'u1' }, true).length, 1);
  });

  it('an end is final: a late live row of the same session does not revive it', () => {
    const pushed = push(row('a'), ended('a'), row('a', { last_heartbeat_at: '2026-12-04T10:30:00.000Z' }));
    assert.equal(pushed.get('a')?.row.state, 'ended');
    assert.equal(liveRows([ended('a')], push(row('a')), LIVE, true)[0]?.state, 'ended');
  });

  it('matches state and user', () => {
    assert.equal(matches(row('a'), LIVE), true);
    assert.equal(matches(ended('a'), LIVE), false);
    assert.equal(matches(ended('a'), { state: 'ended', userId: 'u1' }), true);
    assert.equal(matches(row('a'), { state: 'all', userId: 'u2' }), false);
  });
});
