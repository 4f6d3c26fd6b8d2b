// One policy, opened from the list: the current version's document (pretty JSON), who wrote and
// approved each version, the assignments, and — with policies:write — the editor of a new version.
import { useEffect, useState } from 'react';
import type { AdminClient } from '../../../../../core/backendclient/admin-client.js';
import { type Problem, problemOf } from '../../api.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { When } from '../../components/When.js';
import { usePanel } from '../../context.js';
import { Assignments } from './Assignments.js';
import { prettyJson } from './line-diff.js';
import { PolicyEditor } from './PolicyEditor.js';

type Shown = Awaited<ReturnType<AdminClient['showPolicy']>>;

export function PolicyDetail({
  name,
  onChanged,
}: {
  readonly name: string;
  readonly onChanged: (note: string) => void;
}) {
  const { can, call } = usePanel();
  const [shown, setShown] = useState<Shown | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    let live = true;
    call((c) => c.showPolicy(name)).then(
      (r) => live && setShown(r),
      (err: unknown) => live && setProblem(problemOf(err)),
    );
    return () => {
      live = false;
    };
  }, [call, name]);
  if (!shown) return <ProblemBox problem={problem} />;
  return (
    <section aria-label={`Policy ${name}`} data-testid="policy-detail">
      <h3>
        {name} <span className="muted">version {shown.current.version}</span>
      </h3>
      <details>
        <summary>Versions</summary>
        <ul>
          {shown.versions.map((v) => (
            <li key={v.version}>
              v{v.version} by {v.author ?? v.author_id}
              {v.approver && `, approved by ${v.approver}`}, <When iso={v.created_at} />
            </li>
          ))}
        </ul>
      </details>
      <h4>Current document</h4>
      <pre data-testid="policy-document">{prettyJson(shown.current.document)}</pre>
      <Assignments name={name} assignments={shown.assignments} onChanged={onChanged} />
      {can('policies:write') && (
        <PolicyEditor name={name} current={shown.current.document} onSaved={onChanged} />
      )}
    </section>
  );
}
