// The policy evaluator, its document checks and the relaxation classifier over tables of cases:
// windows across midnight and across DST changes, posture levels, geo/ASN allow and deny lists,
// malformed documents refused whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from 'typebox/value';
import { type PolicyDocument, PolicyDocumentSchema } from '../../../core/api/policy.js';
import { policyDocumentProblems } from './check.js';
import {
  compareVersions,
  evaluatePolicy,
  inSchedule,
  nextScheduleChange,
  type PolicyFacts,
} from './evaluate.js';
import { relaxations } from './relaxation.js';
import { defaultPolicyDocument } from './resolve.js';

const BASE = defaultPolicyDocument({
  sessionLifetimeS: 8 * 3600,
  idleTimeoutS: 900,
  dns: { servers: [], searchDomains: [] },
  requireKillSwitch: false,
});
const doc = (patch: (d: PolicyDocument) => void): PolicyDocument => {
  const d = structuredClone(BASE) as PolicyDocument;
  patch(d);
  assert.ok(Value.Check(PolicyDocumentSchema, d), 'a schema-valid document');
  return d;
};
const FACTS: PolicyFacts = {
  at: new Date('2026-12-02T10:00:00Z'), // a Wednesday
  country: 'DE',
  asn: 64500,
  device: { keyProtection: 'software', clientVersion: '0.1.0', hardened: true },
  phoneAttested: true,
  gateway: 'default',
};

describe('policy schedule', () => {
  const win = (
    tz: string,
    days: PolicyDocument['schedule'] extends infer S ? (S extends { windows: infer W } ? W : never) : never,
  ) => ({ time_zone: tz, windows: days });
  const cases: Array<[string, NonNullable<PolicyDocument['schedule']>, string, boolean]> = [
    [
      'weekday office hours, inside',
      win('Europe/Berlin', [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }]),
      '2026-12-02T10:00:00Z',
      true,
    ],
    [
      'weekday office hours, evening',
      win('Europe/Berlin', [{ days: ['wed'], from: '08:00', to: '18:00' }]),
      '2026-12-02T17:30:00Z',
      false,
    ],
    [
      'the end minute is outside',
      win('UTC', [{ days: ['wed'], from: '08:00', to: '18:00' }]),
      '2026-12-02T18:00:00Z',
      false,
    ],
    [
      'night shift, before midnight',
      win('UTC', [{ days: ['fri'], from: '22:00', to: '06:00' }]),
      '2026-12-04T23:30:00Z',
      true,
    ],
    [
      'night shift, after midnight (saturday)',
      win('UTC', [{ days: ['fri'], from: '22:00', to: '06:00' }]),
      '2026-12-05T05:59:00Z',
      true,
    ],
    [
      'night shift, thursday night is not friday',
      win('UTC', [{ days: ['fri'], from: '22:00', to: '06:00' }]),
      '2026-12-04T05:00:00Z',
      false,
    ],
    [
      'the zone decides the day',
      win('Asia/Tokyo', [{ days: ['thu'], from: '00:00', to: '09:00' }]),
      '2026-12-02T16:00:00Z',
      true,
    ],
    // 2026-03-29: Berlin skips 02:00→03:00. 01:30 UTC = 03:30 CEST, inside 03:00–04:00.
    [
      'DST spring forward, after the gap',
      win('Europe/Berlin', [{ days: ['sun'], from: '03:00', to: '04:00' }]),
      '2026-03-29T01:30:00Z',
      true,
    ],
    [
      'DST spring forward, before the gap',
      win('Europe/Berlin', [{ days: ['sun'], from: '03:00', to: '04:00' }]),
      '2026-03-29T00:30:00Z',
      false,
    ],
    // 2026-10-25: Berlin repeats 02:00–03:00; both 00:30 UTC and 01:30 UTC read 02:30 local.
    [
      'DST fall back, first 02:30',
      win('Europe/Berlin', [{ days: ['sun'], from: '02:00', to: '03:00' }]),
      '2026-10-25T00:30:00Z',
      true,
    ],
    [
      'DST fall back, second 02:30',
      win('Europe/Berlin', [{ days: ['sun'], from: '02:00', to: '03:00' }]),
      '2026-10-25T01:30:00Z',
      true,
    ],
    [
      'US zone, after its own DST change',
      win('America/New_York', [{ days: ['sun'], from: '09:00', to: '10:00' }]),
      '2026-11-01T14:30:00Z',
      true,
    ],
  ];
  for (const [name, schedule, at, expected] of cases) {
    it(name, () => assert.equal(inSchedule(schedule, new Date(at)), expected));
  }

  it('finds when a window closes, for the session watcher', () => {
    const d = doc((x) => {
      x.schedule = { time_zone: 'UTC', windows: [{ days: ['wed'], from: '08:00', to: '18:00' }] };
    });
    assert.equal(
      nextScheduleChange(d, new Date('2026-12-02T10:00:30Z'))?.toISOString(),
      '2026-12-02T18:00:00.000Z',
    );
    assert.equal(nextScheduleChange(BASE, new Date()), null);
  });
});

describe('policy evaluation', () => {
  const table: Array<[string, PolicyDocument, Partial<PolicyFacts>, string | null]> = [
    ['the default allows', BASE, {}, null],
    ['denied country', doc((d) => void d.geo.deny_countries.push('DE')), {}, 'geo.country'],
    [
      'allowed countries list without the source',
      doc((d) => void d.geo.allow_countries.push('FR')),
      {},
      'geo.country',
    ],
    [
      'allowed countries list with the source',
      doc((d) => void d.geo.allow_countries.push('DE', 'FR')),
      {},
      null,
    ],
    ['denied AS', doc((d) => void d.geo.deny_asns.push(64500)), {}, 'geo.asn'],
    ['allowed ASNs without the source', doc((d) => void d.geo.allow_asns.push(64501)), {}, 'geo.asn'],
    ['unknown country, unknown allowed', BASE, { country: null, asn: null }, null],
    [
      'unknown country, unknown denied',
      doc((d) => {
        d.geo.allow_unknown = false;
      }),
      { country: null },
      'geo.unknown',
    ],
    ['unknown AS with an AS allow list', doc((d) => void d.geo.allow_asns.push(64500)), { asn: null }, null],
    [
      'unknown AS with an AS allow list, unknown denied',
      doc((d) => {
        d.geo.allow_asns.push(64500);
        d.geo.allow_unknown = false;
      }),
      { asn: null },
      'geo.unknown',
    ],
    [
      'software key, policy wants hardware',
      doc((d) => {
        d.posture.min_key_protection = 'hardware';
      }),
      {},
      'posture.key_protection',
    ],
    [
      'tpm2 key, policy wants hardware',
      doc((d) => {
        d.posture.min_key_protection = 'hardware';
      }),
      { device: { keyProtection: 'tpm2', clientVersion: '0.1.0', hardened: true } },
      null,
    ],
    [
      'tpm2 key, policy wants tpm2',
      doc((d) => {
        d.posture.min_key_protection = 'tpm2';
      }),
      { device: { keyProtection: 'tpm2', clientVersion: '0.1.0', hardened: true } },
      null,
    ],
    [
      'phone not attested',
      doc((d) => {
        d.posture.require_phone_attestation = true;
      }),
      { phoneAttested: false },
      'posture.phone_attestation',
    ],
    [
      'not hardened',
      doc((d) => {
        d.posture.require_hardening = true;
      }),
      { device: { keyProtection: 'software', clientVersion: '0.1.0', hardened: false } },
      'posture.hardening',
    ],
    [
      'old client',
      doc((d) => {
        d.posture.min_client_version = '0.2.0';
      }),
      {},
      'posture.client_version',
    ],
    [
      'new enough client',
      doc((d) => {
        d.posture.min_client_version = '0.1.0';
      }),
      {},
      null,
    ],
    [
      'client 0.10.0 is newer than 0.9.0',
      doc((d) => {
        d.posture.min_client_version = '0.9.0';
      }),
      { device: { keyProtection: 'software', clientVersion: '0.10.0', hardened: true } },
      null,
    ],
    [
      'a release candidate of the next patch is above the minimum; build metadata is ignored',
      doc((d) => {
        d.posture.min_client_version = '1.2.0';
      }),
      { device: { keyProtection: 'software', clientVersion: '1.2.1-rc.1+b7', hardened: true } },
      null,
    ],
    [
      'a pre-release of the minimum itself ranks below it',
      doc((d) => {
        d.posture.min_client_version = '1.2.0';
      }),
      { device: { keyProtection: 'software', clientVersion: '1.2.0-rc.2', hardened: true } },
      'posture.client_version',
    ],
    [
      'gateway not allowed',
      doc((d) => {
        d.gateways = ['other'];
      }),
      {},
      'gateways',
    ],
    [
      'outside the schedule',
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['sat'], from: '00:00', to: '23:59' }] };
      }),
      {},
      'schedule',
    ],
    [
      'schedule first: several denials report the first rule',
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['sat'], from: '00:00', to: '23:59' }] };
        d.geo.deny_countries.push('DE');
      }),
      {},
      'schedule',
    ],
  ];
  for (const [name, d, facts, deniedBy] of table) {
    it(name, () => {
      const v = evaluatePolicy(d, { ...FACTS, ...facts });
      assert.equal(v.deniedBy, deniedBy);
      assert.equal(v.allowed, deniedBy === null);
      if (deniedBy) assert.match(v.code ?? '', /^VIW_E_POLICY_/);
      assert.equal(v.rules.length, 9, 'every rule is reported');
    });
  }
});

describe('policy documents refused whole', () => {
  const bad: Array<[string, PolicyDocument, RegExp]> = [
    [
      'overlapping routes',
      doc((d) => {
        d.tunnel.routes = ['10.1.0.0/16', '10.1.2.0/24'];
      }),
      /routes\/1: overlaps/,
    ],
    [
      'host bits',
      doc((d) => {
        d.tunnel.routes = ['10.1.2.3/24'];
      }),
      /host bits/,
    ],
    [
      'octet out of range',
      doc((d) => {
        d.tunnel.routes = ['10.1.300.0/24'];
      }),
      /not an IPv4 network/,
    ],
    [
      'split without routes',
      doc((d) => {
        d.tunnel.mode = 'split';
      }),
      /split tunnel needs/,
    ],
    [
      'unknown time zone',
      doc((d) => {
        d.schedule = {
          time_zone: 'Mars/Olympus',
          windows: [{ days: ['mon'], from: '08:00', to: '09:00' }],
        };
      }),
      /time_zone: not an IANA/,
    ],
    [
      'empty window',
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['mon'], from: '08:00', to: '08:00' }] };
      }),
      /empty window/,
    ],
    [
      'unknown client zone',
      doc((d) => {
        d.client_time_zones = ['Europe/Nowhere'];
      }),
      /client_time_zones\/0/,
    ],
    [
      'country allowed and denied',
      doc((d) => {
        d.geo.allow_countries = ['DE'];
        d.geo.deny_countries = ['DE'];
      }),
      /both allowed and denied/,
    ],
    [
      'idle longer than lifetime',
      doc((d) => {
        d.session.lifetime_s = 600;
        d.session.idle_timeout_s = 900;
      }),
      /idle_timeout_s/,
    ],
    [
      'any gateway plus names',
      doc((d) => {
        d.gateways = ['*', 'gw1'];
      }),
      /stands alone/,
    ],
  ];
  for (const [name, d, expected] of bad) {
    it(name, () => assert.match(policyDocumentProblems(d).join('\n'), expected));
  }
  it('a good document has no problems', () => {
    assert.deepEqual(
      policyDocumentProblems(
        doc((d) => {
          d.tunnel.mode = 'split';
          d.tunnel.routes = ['10.1.0.0/16', '10.2.0.0/16'];
        }),
      ),
      [],
    );
  });
  it('the schema refuses unknown fields, oversized lists and bad shapes', () => {
    const base = structuredClone(BASE) as unknown as Record<string, unknown>;
    assert.ok(!Value.Check(PolicyDocumentSchema, { ...base, extra: 1 }));
    assert.ok(!Value.Check(PolicyDocumentSchema, { ...base, gateways: [] }));
    assert.ok(
      !Value.Check(PolicyDocumentSchema, {
        ...base,
        tunnel: { mode: 'split', routes: Array.from({ length: 65 }, (_, i) => `10.${i}.0.0/16`) },
      }),
    );
    assert.ok(
      !Value.Check(PolicyDocumentSchema, {
        ...base,
        schedule: { time_zone: 'UTC', windows: [{ days: ['mon'], from: '25:00', to: '08:00' }] },
      }),
    );
  });
});

describe('relaxations (dual approval)', () => {
  const split = doc((d) => {
    d.tunnel.mode = 'split';
    d.tunnel.routes = ['10.1.0.0/16'];
  });
  const table: Array<[string, PolicyDocument, PolicyDocument, RegExp | null]> = [
    [
      'full → split',
      doc((d) => {
        d.tunnel.routes = ['10.1.0.0/16'];
      }),
      split,
      /split tunnel on/,
    ],
    [
      'a route added',
      split,
      doc((d) => {
        d.tunnel.mode = 'split';
        d.tunnel.routes = ['10.1.0.0/16', '10.2.0.0/16'];
      }),
      /routes added: 10.2.0.0\/16/,
    ],
    [
      'a DNS server outside the granted networks is a new destination',
      split,
      doc((d) => {
        d.tunnel.mode = 'split';
        d.tunnel.routes = ['10.1.0.0/16'];
        d.dns.servers = ['10.9.0.53'];
      }),
      /DNS servers added: 10\.9\.0\.53/,
    ],
    [
      'a DNS server inside a granted network adds nothing',
      split,
      doc((d) => {
        d.tunnel.mode = 'split';
        d.tunnel.routes = ['10.1.0.0/16'];
        d.dns.servers = ['10.1.0.53'];
      }),
      null,
    ],
    [
      'a route removed narrows',
      doc((d) => {
        d.tunnel.mode = 'split';
        d.tunnel.routes = ['10.1.0.0/16', '10.2.0.0/16'];
      }),
      split,
      null,
    ],
    [
      'a sub-network of an existing route narrows',
      split,
      doc((d) => {
        d.tunnel.mode = 'split';
        d.tunnel.routes = ['10.1.2.0/24'];
      }),
      null,
    ],
    [
      'country allow list lifted',
      doc((d) => {
        d.geo.allow_countries = ['DE'];
      }),
      BASE,
      /country restrictions lifted/,
    ],
    [
      'a denied country removed',
      doc((d) => {
        d.geo.deny_countries = ['RU'];
      }),
      BASE,
      /country restrictions lifted/,
    ],
    [
      'a country denied narrows',
      BASE,
      doc((d) => {
        d.geo.deny_countries = ['RU'];
      }),
      null,
    ],
    [
      'posture lowered',
      doc((d) => {
        d.posture.min_key_protection = 'tpm2';
      }),
      BASE,
      /key protection lowered/,
    ],
    [
      'lifetime beyond the limit',
      BASE,
      doc((d) => {
        d.session.lifetime_s = 12 * 3600;
      }),
      /session lifetime raised/,
    ],
    [
      'lifetime shortened narrows',
      BASE,
      doc((d) => {
        d.session.lifetime_s = 3600;
      }),
      null,
    ],
    [
      'schedule removed',
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['mon'], from: '08:00', to: '18:00' }] };
      }),
      BASE,
      /schedule widened/,
    ],
    [
      'schedule shortened narrows',
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['mon'], from: '08:00', to: '18:00' }] };
      }),
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['mon'], from: '09:00', to: '17:00' }] };
      }),
      null,
    ],
    // Minutes a 15-minute sampler started at 10:12 never lands on (18:12, 18:27, ...): exact now.
    [
      'a window extended by ten minutes',
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['mon', 'wed'], from: '08:00', to: '18:00' }] };
      }),
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['mon', 'wed'], from: '08:00', to: '18:10' }] };
      }),
      /schedule widened: mon 18:00 UTC newly allowed/,
    ],
    [
      'a night window ending ten minutes later the next morning',
      doc((d) => {
        d.schedule = { time_zone: 'Europe/Berlin', windows: [{ days: ['fri'], from: '22:00', to: '06:00' }] };
      }),
      doc((d) => {
        d.schedule = { time_zone: 'Europe/Berlin', windows: [{ days: ['fri'], from: '22:00', to: '06:10' }] };
      }),
      /schedule widened: sat 06:00 Europe\/Berlin newly allowed/,
    ],
    // In December London is on UTC, so no instant of the coming week differs; in June it admits 07:30Z.
    [
      'the schedule moved from UTC to Europe/London (same windows)',
      doc((d) => {
        d.schedule = { time_zone: 'UTC', windows: [{ days: ['mon'], from: '08:00', to: '18:00' }] };
      }),
      doc((d) => {
        d.schedule = { time_zone: 'Europe/London', windows: [{ days: ['mon'], from: '08:00', to: '18:00' }] };
      }),
      /schedule widened: time zone changed from UTC to Europe\/London/,
    ],
    [
      'a schedule lifted that already allowed every minute widens nothing',
      doc((d) => {
        d.schedule = {
          time_zone: 'UTC',
          windows: [
            { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '12:00', to: '12:01' },
            {
              days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
              from: '12:01',
              to: '12:00',
            },
          ],
        };
      }),
      BASE,
      null,
    ],
    [
      'days dropped, windows split and a night shortened: a pure narrowing',
      doc((d) => {
        d.schedule = {
          time_zone: 'Europe/Berlin',
          windows: [
            { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' },
            { days: ['sat'], from: '22:00', to: '06:00' },
          ],
        };
      }),
      doc((d) => {
        d.schedule = {
          time_zone: 'Europe/Berlin',
          windows: [
            { days: ['mon', 'wed'], from: '08:00', to: '12:00' },
            { days: ['mon', 'wed'], from: '13:00', to: '18:00' },
            { days: ['sat'], from: '23:30', to: '05:59' },
          ],
        };
      }),
      null,
    ],
    [
      'gateway added',
      doc((d) => {
        d.gateways = ['gw1'];
      }),
      doc((d) => {
        d.gateways = ['gw1', 'gw2'];
      }),
      /gateways added/,
    ],
    ['same document', BASE, BASE, null],
  ];
  for (const [name, before, after, expected] of table) {
    it(name, () => {
      const r = relaxations(before, after);
      if (expected) assert.match(r.join('; '), expected);
      else assert.deepEqual(r, []);
    });
  }
});

describe('compareVersions (semver precedence)', () => {
  it('orders numbers, pre-releases and ignores build metadata', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.10.0',
      '2.0.0',
    ];
    for (let i = 0; i + 1 < ordered.length; i++) {
      assert.ok(
        (compareVersions(ordered[i]!, ordered[i + 1]!) ?? 0) < 0,
        `${ordered[i]} < ${ordered[i + 1]}`,
      );
      assert.ok((compareVersions(ordered[i + 1]!, ordered[i]!) ?? 0) > 0);
    }
    assert.equal(compareVersions('1.2.3+build.5', '1.2.3'), 0);
    assert.equal(compareVersions('1.2', '1.2.0'), null);
    assert.equal(compareVersions('1.2.3', 'v1.2.3'), null);
  });
});
