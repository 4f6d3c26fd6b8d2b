// Phones bound to users (the second factor that shows the login codes): the verdict and format of
// the attestation each proved at bind, platform, user, when bound and last heard from. Read-only:
// a new bind (Users → bind code) replaces a user's phone.
import { useState } from 'react';
import { PHONE_STATUSES, type PhoneViewT } from '../../../../core/api/admin-phones.js';
import { ListTable } from '../components/ListTable.js';
import { SelectFilter } from '../components/SelectFilter.js';
import { When } from '../components/When.js';
import { usePanel } from '../context.js';
import { PAGE_SIZE, usePagedList } from '../hooks/usePagedList.js';

type PhoneStatus = (typeof PHONE_STATUSES)[number];

const VERDICT_BADGE: Readonly<Record<PhoneViewT['attestation_verdict'], string>> = {
  pass: 'badge',
  unknown: 'badge warn',
  fail: 'badge bad',
};

const ATTESTATION: Readonly<Record<PhoneViewT['attestation_type'], string>> = {
  none: 'none',
  webauthn: 'WebAuthn',
  app_attest: 'App Attest',
  play_integrity: 'Play Integrity',
};

export function PhonesPage() {
  const { call } = usePanel();
  // The API's default is the bound phones; "any" also lists the ones a newer bind replaced.
  const [status, setStatus] = useState<PhoneStatus | ''>('active');
  const list = usePagedList<PhoneViewT, { status: PhoneStatus | '' }>(
    async (f, cursor) => {
      const r = await call((c) =>
        c.listPhones({ limit: PAGE_SIZE, status: f.status || 'all', ...(cursor ? { cursor } : {}) }),
      );
      return { items: r.phones, next: r.next_cursor };
    },
    { status },
  );
  return (
    <>
      <h2>Phones</h2>
      <div className="filters">
        <SelectFilter
          label="Status"
          value={status}
          options={PHONE_STATUSES.map((s) => [s, s === 'revoked' ? 'replaced' : 'bound'] as const)}
          onChange={setStatus}
          testId="filter-status"
        />
      </div>
      <ListTable
        list={list}
        label="Phones"
        testId="phones"
        columns={['User', 'Platform', 'Attestation', 'Verdict', 'Key', 'Status', 'Bound', 'Last seen']}
        empty="No phones."
        row={(p) => (
          <tr key={p.id} data-testid={`phone-${p.id}`}>
            <td>{p.username}</td>
            <td>{p.platform}</td>
            <td>
              {ATTESTATION[p.attestation_type]}
              {p.attestation_format && (
                <>
                  {' '}
                  <code>{p.attestation_format}</code>
                </>
              )}
            </td>
            <td>
              <span className={VERDICT_BADGE[p.attestation_verdict]} data-testid="verdict">
                {p.attestation_verdict}
              </span>
            </td>
            <td>
              {p.hardware_backed ? 'hardware' : 'software'}
              {p.user_verified ? ', user verified' : ''}
            </td>
            <td>{p.status === 'revoked' ? 'replaced' : p.status.replace('_', ' ')}</td>
            <td>
              <When iso={p.bound_at} />
            </td>
            <td>
              <When iso={p.last_seen_at} />
            </td>
          </tr>
        )}
      />
    </>
  );
}
