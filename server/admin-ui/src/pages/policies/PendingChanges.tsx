// The dual-approval queue (docs/policies.md): changes that widen access wait here, with who asked,
// why they widen it and the diff, until a second administrator approves or rejects them (or they
// expire). The author sees no Approve: the backend refuses an author's approval anyway (403
// VIW_E_FORBIDDEN); the author may still Reject, which withdraws the change.
import { useState } from 'react';
import type { PolicyChangeViewT } from '../../../../../core/api/admin-policies.js';
import { type Problem, problemOf } from '../../api.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { ListTable } from '../../components/ListTable.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { When } from '../../components/When.js';
import { usePanel } from '../../context.js';
import { PAGE_SIZE, usePagedList } from '../../hooks/usePagedList.js';

export function PendingChanges({
  generation,
  onDecided,
}: {
  /** Changes when the page did something that may have filed a change: the queue reloads. */
  readonly generation: number;
  readonly onDecided: (note: string) => void;
}) {
  const { can, call, session } = usePanel();
  const [problem, setProblem] = useState<Problem | null>(null);
  const list = usePagedList<PolicyChangeViewT, number>(async (_g, cursor) => {
    const r = await call((c) =>
      c.listPolicyChanges({ status: 'pending', limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
    );
    return { items: r.changes, next: r.next_cursor };
  }, generation);
  const decide = async (ch: PolicyChangeViewT, how: 'approve' | 'reject') => {
    try {
      const r = await call((c) =>
        how === 'approve' ? c.approvePolicyChange(ch.id) : c.rejectPolicyChange(ch.id),
      );
      setProblem(null);
      onDecided(`${r.change.summary}: ${r.change.status}.`);
      list.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  const writes = can('policies:write');
  return (
    <section aria-label="Changes waiting for approval">
      <h3>Waiting for approval</h3>
      <ProblemBox problem={problem} />
      <ListTable
        list={list}
        label="Pending changes"
        testId="policy-changes"
        columns={['Change', 'Why it widens access', 'Requested by', 'Requested', 'Expires', 'Actions']}
        empty="Nothing is waiting for approval."
        row={(ch) => {
          const mine = ch.author === session.username;
          return (
            <tr key={ch.id} data-testid={`change-${ch.id}`} data-status={ch.status}>
              <td>
                <span className="badge warn">pending</span> {ch.summary}
                <details>
                  <summary>Diff</summary>
                  <pre>{ch.diff}</pre>
                </details>
              </td>
              <td>
                <ul>
                  {ch.reasons.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              </td>
              <td data-testid="change-author">
                {ch.author ?? ch.author_id}
                {mine && ' (you)'}
              </td>
              <td>
                <When iso={ch.created_at} />
              </td>
              <td>
                <When iso={ch.expires_at} />
              </td>
              <td className="actions">
                {writes && !mine && (
                  <ConfirmButton
                    label="Approve"
                    question={`Approve "${ch.summary}"? It widens access as listed, at once.`}
                    onConfirm={() => decide(ch, 'approve')}
                    testId="approve-change"
                  />
                )}
                {writes && (
                  <ConfirmButton
                    label={mine ? 'Withdraw' : 'Reject'}
                    question={mine ? `Withdraw "${ch.summary}"?` : `Reject "${ch.summary}"?`}
                    onConfirm={() => decide(ch, 'reject')}
                    testId="reject-change"
                    danger
                  />
                )}
                {writes && mine && <p className="muted">Another administrator must approve it.</p>}
              </td>
            </tr>
          );
        }}
      />
    </section>
  );
}
