// Who a policy applies to: its assignments (users, and groups with their priority — lower wins),
// with unassign, and a form to assign it to a group or a user (by id). Either may widen someone's
// access (a user leaves a stricter policy), and then the backend files it for approval instead.
import { useState } from 'react';
import type { AssignmentViewT } from '../../../../../core/api/admin-policies.js';
import { type Problem, problemOf } from '../../api.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { Field } from '../../components/Field.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { usePanel } from '../../context.js';

type Subject = { readonly user_id: string } | { readonly group: string };
type Reply = { readonly status: 'applied' } | { readonly status: 'pending'; change: { summary: string } };

function subjectOf(a: AssignmentViewT): Subject {
  return a.subject_type === 'user' ? { user_id: a.subject_id } : { group: a.subject };
}

export function Assignments({
  name,
  assignments,
  onChanged,
}: {
  readonly name: string;
  readonly assignments: readonly AssignmentViewT[];
  readonly onChanged: (note: string) => void;
}) {
  const { can, call } = usePanel();
  const [kind, setKind] = useState<'group' | 'user'>('group');
  const [subject, setSubject] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const writes = can('policies:write');

  const report = (r: Reply, done: string) =>
    onChanged(r.status === 'pending' ? `Waiting for a second administrator: ${r.change.summary}.` : done);
  const assign = async () => {
    const who = subject.trim();
    try {
      const body = kind === 'group' ? { group: who } : { user_id: who };
      report(await call((c) => c.assignPolicy(name, body)), `${name} assigned to ${kind} ${who}.`);
      setSubject('');
      setProblem(null);
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  const unassign = async (a: AssignmentViewT) => {
    try {
      report(await call((c) => c.unassignPolicy(name, subjectOf(a))), `${a.subject} no longer has ${name}.`);
      setProblem(null);
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <section aria-label={`Assignments of ${name}`}>
      <h4>Assigned to</h4>
      <ProblemBox problem={problem} />
      {assignments.length === 0 ? (
        <p className="muted">Nobody: the policy is not in effect for anyone.</p>
      ) : (
        <div className="table-scroll">
          <table data-testid="assignments">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Who</th>
                <th scope="col">Priority</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {assignments.map((a) => (
                <tr key={`${a.subject_type}-${a.subject_id}`} data-testid={`assignment-${a.subject}`}>
                  <td>{a.subject_type}</td>
                  <td>{a.subject}</td>
                  <td>{a.priority ?? '—'}</td>
                  <td className="actions">
                    {writes && (
                      <ConfirmButton
                        label="Unassign"
                        question={`Take ${name} away from ${a.subject}? They fall back to another policy.`}
                        onConfirm={() => unassign(a)}
                        testId="unassign"
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {writes && (
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            void assign();
          }}
        >
          <label>
            Assign to a
            <select
              value={kind}
              onChange={(e) => setKind(e.target.value === 'user' ? 'user' : 'group')}
              data-testid="assign-kind"
            >
              <option value="group">group</option>
              <option value="user">user</option>
            </select>
          </label>
          <Field
            label={kind === 'group' ? 'Group name' : 'User id'}
            value={subject}
            onChange={setSubject}
            required
            testId="assign-subject"
          />
          <button type="submit" disabled={!subject.trim()} data-testid="assign">
            Assign
          </button>
        </form>
      )}
    </section>
  );
}
