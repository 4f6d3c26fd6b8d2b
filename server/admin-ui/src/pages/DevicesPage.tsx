// Desktop devices: filtered by status, paged, with what the backend knows of their posture (where
// the key lives, platform, client version, the hardening its daemon declared at its last completed
// login and when that was); approve a pending one, unbind one (ends its sessions).
import { useState } from 'react';
import { DEVICE_STATUSES, type DeviceViewT } from '../../../../core/api/admin.js';
import { type Problem, problemOf } from '../api.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { ListTable } from '../components/ListTable.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { SelectFilter } from '../components/SelectFilter.js';
import { StatusNote } from '../components/StatusNote.js';
import { When } from '../components/When.js';
import { usePanel } from '../context.js';
import { PAGE_SIZE, usePagedList } from '../hooks/usePagedList.js';
import { PostureCell } from './devices/PostureCell.js';

type DeviceStatus = (typeof DEVICE_STATUSES)[number];

const KEY_PROTECTION: Readonly<Record<DeviceViewT['key_protection'], string>> = {
  hardware: 'hardware key store',
  tpm2: 'TPM 2.0',
  software: 'software (file)',
};

export function DevicesPage() {
  const { can, call } = usePanel();
  const [status, setStatus] = useState<DeviceStatus | ''>('');
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const list = usePagedList<DeviceViewT, { status: DeviceStatus | '' }>(
    async (f, cursor) => {
      const r = await call((c) =>
        c.listDevices({
          limit: PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
          ...(f.status ? { status: f.status } : {}),
        }),
      );
      return { items: r.devices, next: r.next_cursor };
    },
    { status },
  );
  const act = async (what: string, fn: () => Promise<{ ended_sessions: number }>) => {
    try {
      const r = await fn();
      setProblem(null);
      setNote(`${what}${r.ended_sessions > 0 ? `; ${r.ended_sessions} VPN session(s) ended` : ''}.`);
      list.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  const writes = can('devices:write');
  return (
    <>
      <h2>Devices</h2>
      <ProblemBox problem={problem} />
      <StatusNote note={note} />
      <div className="filters">
        <SelectFilter
          label="Status"
          value={status}
          options={DEVICE_STATUSES.map((s) => [s, s.replace('_', ' ')] as const)}
          onChange={setStatus}
          testId="filter-status"
        />
      </div>
      <ListTable
        list={list}
        label="Devices"
        testId="devices"
        columns={[
          'User',
          'Device',
          'Key',
          'Platform',
          'Client',
          'Posture',
          'Last login',
          'Status',
          'Enrolled',
          'Actions',
        ]}
        empty="No devices."
        row={(d) => (
          <tr key={d.id} data-testid={`device-${d.id}`}>
            <td>{d.username}</td>
            <td>
              <code title={d.fingerprint}>{d.fingerprint.slice(0, 16)}</code>
            </td>
            <td>
              <span className={d.key_protection === 'software' ? 'badge warn' : 'badge'}>
                {KEY_PROTECTION[d.key_protection]}
              </span>
            </td>
            <td>{d.platform}</td>
            <td>{d.client_version}</td>
            <td>
              <PostureCell posture={d.posture} />
            </td>
            <td>
              <When iso={d.last_login_at} />
            </td>
            <td>{d.status.replace('_', ' ')}</td>
            <td>
              <When iso={d.created_at} />
            </td>
            <td className="actions">
              {writes && d.status === 'pending_approval' && (
                <button
                  type="button"
                  className="primary"
                  onClick={() =>
                    act(`${d.username}'s device approved`, () => call((c) => c.approveDevice(d.id)))
                  }
                  data-testid="approve"
                >
                  Approve
                </button>
              )}
              {writes && d.status !== 'revoked' && (
                <ConfirmButton
                  label="Unbind"
                  question={`Unbind ${d.username}'s device and end its sessions?`}
                  onConfirm={() =>
                    act(`${d.username}'s device unbound`, () => call((c) => c.unbindDevice(d.id)))
                  }
                  testId="unbind"
                  danger
                />
              )}
            </td>
          </tr>
        )}
      />
    </>
  );
}
