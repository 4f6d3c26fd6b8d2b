// Access policies (docs/policies.md): every policy with its current version and how many users and
// groups it is assigned to; the one opened shows its current document, its versions, its
// assignments and (policies:write) the editor of a new version. Above them, the queue of changes
// that widen access and wait for a second administrator.
import { useState } from 'react';
import type { PolicyViewT } from '../../../../core/api/admin-policies.js';
import { ListTable } from '../components/ListTable.js';
import { StatusNote } from '../components/StatusNote.js';
import { When } from '../components/When.js';
import { usePanel } from '../context.js';
import { usePagedList } from '../hooks/usePagedList.js';
import { PendingChanges } from './policies/PendingChanges.js';
import { PolicyDetail } from './policies/PolicyDetail.js';

export function PoliciesPage() {
  const { call } = usePanel();
  const [open, setOpen] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  // Bumped by every write: the list, the queue and the open policy read again.
  const [generation, setGeneration] = useState(0);
  // The API lists every policy at once (no paging): one page.
  const list = usePagedList<PolicyViewT, number>(async () => {
    const r = await call((c) => c.listPolicies());
    return { items: r.policies, next: null };
  }, generation);
  const changed = (n: string) => {
    setNote(n);
    setGeneration((g) => g + 1);
  };
  return (
    <>
      <h2>Policies</h2>
      <StatusNote note={note} />
      <PendingChanges generation={generation} onDecided={changed} />
      <h3>Policies</h3>
      <ListTable
        list={list}
        label="Policies"
        testId="policies"
        columns={['Name', 'Current version', 'Users', 'Groups', 'Updated']}
        empty="No policies: everyone has the built-in default."
        row={(p) => (
          <tr key={p.id} data-testid={`policy-${p.name}`} data-version={p.current_version}>
            <td>
              <button
                type="button"
                aria-expanded={open === p.name}
                onClick={() => setOpen(open === p.name ? null : p.name)}
                data-testid="open-policy"
              >
                {p.name}
              </button>
            </td>
            <td data-testid="current-version">v{p.current_version}</td>
            <td>{p.assigned_users}</td>
            <td>{p.assigned_groups}</td>
            <td>
              <When iso={p.updated_at} />
            </td>
          </tr>
        )}
      />
      {open && <PolicyDetail key={`${open}-${generation}`} name={open} onChanged={changed} />}
    </>
  );
}
