// Create a fleet enrollment token: how many devices may enroll with it, for how long, with which
// tags, and whether its devices skip the approval. The token itself is shown once by the page.
import { type FormEvent, useState } from 'react';
import type { CreateEnrollmentTokenBodyT, EnrollmentTokenViewT } from '../../../../../core/api/admin.js';
import { type Problem, problemOf } from '../../api.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { usePanel } from '../../context.js';

const LIFETIMES: readonly (readonly [number, string])[] = [
  [3600, '1 hour'],
  [86_400, '1 day'],
  [7 * 86_400, '7 days'],
  [30 * 86_400, '30 days'],
];

export function CreateTokenForm({
  onCreated,
}: {
  readonly onCreated: (token: string, view: EnrollmentTokenViewT) => void;
}) {
  const { call } = usePanel();
  const [maxUses, setMaxUses] = useState('1');
  const [lifetime, setLifetime] = useState(86_400);
  const [tags, setTags] = useState('');
  const [autoApprove, setAutoApprove] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const body: CreateEnrollmentTokenBodyT = {
      max_uses: Number(maxUses),
      expires_in_s: lifetime,
      ...(tagList.length > 0 ? { tags: tagList } : {}),
      ...(autoApprove ? { auto_approve: true } : {}),
    };
    setBusy(true);
    try {
      const r = await call((c) => c.createEnrollmentToken(body));
      setProblem(null);
      onCreated(r.token, r.enrollment_token);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Create an enrollment token">
      <h3>Create an enrollment token</h3>
      <label>
        Devices
        <input
          type="number"
          min={1}
          max={10_000}
          value={maxUses}
          onChange={(e) => setMaxUses(e.target.value)}
          required
          data-testid="token-max-uses"
        />
      </label>
      <label>
        Valid for
        <select value={lifetime} onChange={(e) => setLifetime(Number(e.target.value))}>
          {LIFETIMES.map(([s, text]) => (
            <option key={s} value={s}>
              {text}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tags (comma-separated)
        <input
          value={tags}
          onChange={(e) => setTags(e.target.value)}
          spellCheck={false}
          data-testid="token-tags"
        />
      </label>
      <label className="check">
        <input type="checkbox" checked={autoApprove} onChange={(e) => setAutoApprove(e.target.checked)} />
        Approve its devices automatically
      </label>
      <button type="submit" className="primary" disabled={busy} data-testid="create-token">
        Create
      </button>
      <ProblemBox problem={problem} />
    </form>
  );
}
