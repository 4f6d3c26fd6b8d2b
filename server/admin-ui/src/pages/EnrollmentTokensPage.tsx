// Enrollment tokens: fleet tokens devices enroll with, filtered by state, paged; create (the token
// shown once, with a copy button) and revoke.
import { useState } from 'react';
import { type EnrollmentTokenViewT, TOKEN_STATES } from '../../../../core/api/admin.js';
import { type Problem, problemOf } from '../api.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { ListTable } from '../components/ListTable.js';
import { OneTimeSecret } from '../components/OneTimeSecret.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { SelectFilter } from '../components/SelectFilter.js';
import { StatusNote } from '../components/StatusNote.js';
import { When } from '../components/When.js';
import { usePanel } from '../context.js';
import { PAGE_SIZE, usePagedList } from '../hooks/usePagedList.js';
import { CreateTokenForm } from './tokens/CreateTokenForm.js';

type TokenState = (typeof TOKEN_STATES)[number];

export function EnrollmentTokensPage() {
  const { can, call } = usePanel();
  const [state, setState] = useState<TokenState | ''>('');
  const [created, setCreated] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const list = usePagedList<EnrollmentTokenViewT, { state: TokenState | '' }>(
    async (f, cursor) => {
      const r = await call((c) =>
        c.listEnrollmentTokens({
          limit: PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
          ...(f.state ? { state: f.state } : {}),
        }),
      );
      return { items: r.enrollment_tokens, next: r.next_cursor };
    },
    { state },
  );
  const revoke = async (t: EnrollmentTokenViewT) => {
    try {
      await call((c) => c.revokeEnrollmentToken(t.id));
      setProblem(null);
      setNote(`Token ${t.id.slice(0, 8)} revoked.`);
      list.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  const writes = can('tokens:write');
  return (
    <>
      <h2>Enrollment tokens</h2>
      {writes && (
        <CreateTokenForm
          onCreated={(token, view) => {
            setCreated(token);
            setNote(`Token ${view.id.slice(0, 8)} created.`);
            list.reload();
          }}
        />
      )}
      {created && (
        <OneTimeSecret
          title="New enrollment token"
          value={created}
          testId="enrollment-token"
          onDone={() => setCreated(null)}
        >
          <p>Give it to the device's installer as a file (`viworks enroll --token-file`).</p>
        </OneTimeSecret>
      )}
      <ProblemBox problem={problem} />
      <StatusNote note={note} />
      <div className="filters">
        <SelectFilter
          label="State"
          value={state}
          options={TOKEN_STATES.map((s) => [s, s.replace('_', ' ')] as const)}
          onChange={setState}
          testId="filter-state"
        />
      </div>
      <ListTable
        list={list}
        label="Enrollment tokens"
        testId="enrollment-tokens"
        columns={['Token', 'State', 'Used', 'Expires', 'Tags', 'Approval', 'Actions']}
        row={(t) => (
          <tr key={t.id} data-testid={`token-${t.id}`}>
            <td>
              <code title={t.id}>{t.id.slice(0, 8)}</code>
            </td>
            <td>{t.state.replace('_', ' ')}</td>
            <td>
              {t.uses} / {t.max_uses}
            </td>
            <td>
              <When iso={t.expires_at} />
            </td>
            <td>{t.tags.join(', ')}</td>
            <td>{t.auto_approve ? 'automatic' : 'by an admin'}</td>
            <td className="actions">
              {writes && t.state === 'valid' && (
                <ConfirmButton
                  label="Revoke"
                  question="Revoke this token? Devices not yet enrolled cannot use it."
                  onConfirm={() => revoke(t)}
                  testId="revoke"
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
