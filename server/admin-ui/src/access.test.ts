import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { can, landingPage, visiblePages } from './access.js';
import { hashOf, PAGE_CATALOG, PLANNED_PAGES, pageOfHash, READY_PAGES } from './pages/catalog.js';

const ids = (role: Parameters<typeof visiblePages>[0]) => visiblePages(role).map((p) => p.id);

describe('role filtering', () => {
  it('an Admin sees every page', () => {
    assert.deepEqual(
      ids('Admin'),
      PAGE_CATALOG.map((p) => p.id),
    );
  });

  it('an Auditor reads audit but not gateways, and may write nothing the pages offer', () => {
    assert.ok(ids('Auditor').includes('audit'));
    assert.ok(!ids('Auditor').includes('gateways'));
    for (const w of [
      'users:write',
      'bindcodes:write',
      'devices:write',
      'tokens:write',
      'alerts:ack',
      'sessions:terminate',
    ] as const)
      assert.equal(can('Auditor', w), false, w);
    assert.equal(can('Auditor', 'users:read'), true);
  });

  it('an Operator sees gateways but not audit, acknowledges alerts, creates no users', () => {
    assert.ok(ids('Operator').includes('gateways'));
    assert.ok(!ids('Operator').includes('audit'));
    assert.equal(can('Operator', 'alerts:ack'), true);
    assert.equal(can('Operator', 'tokens:write'), true);
    assert.equal(can('Operator', 'users:write'), false);
  });

  it('a User (no admin role) sees nothing and lands nowhere', () => {
    assert.deepEqual(ids('User'), []);
    assert.equal(landingPage('User'), null);
  });

  it('lands on the Overview when the role reads sessions, else on its first built page', () => {
    assert.equal(landingPage('Admin')?.id, 'overview');
    assert.equal(landingPage('Auditor')?.id, 'overview');
    assert.equal(landingPage('Operator')?.id, 'overview');
  });

  it('never lands on a planned page', () => {
    for (const role of ['Admin', 'Operator', 'Auditor'] as const) {
      const id = landingPage(role)?.id;
      assert.ok(id && !PLANNED_PAGES.includes(id as (typeof PLANNED_PAGES)[number]), `${role}: ${id}`);
    }
  });
});

describe('page catalog', () => {
  it('lists every page once, built or planned', () => {
    const all = PAGE_CATALOG.map((p) => p.id).sort();
    assert.deepEqual(all, [...READY_PAGES, ...PLANNED_PAGES].sort());
    assert.equal(new Set(all).size, all.length);
    for (const p of PAGE_CATALOG)
      assert.equal(p.cli !== undefined, !READY_PAGES.includes(p.id as never), p.id);
  });

  it('reads hash routes exactly', () => {
    assert.equal(pageOfHash(hashOf('enrollment-tokens'))?.title, 'Enrollment tokens');
    assert.equal(
      pageOfHash('#/users'),
      PAGE_CATALOG.find((p) => p.id === 'users'),
    );
    assert.equal(pageOfHash('#/users/'), null);
    assert.equal(pageOfHash('#users'), null);
    assert.equal(pageOfHash('#/nope'), null);
    assert.equal(pageOfHash(''), null);
  });
});
