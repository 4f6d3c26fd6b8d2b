// Create a group: a name and an optional description. Assigning it a policy is the Policies
// page's business; here it only becomes something users can be added to.
import { type FormEvent, useState } from 'react';
import { type Problem, problemOf } from '../../api.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { usePanel } from '../../context.js';

export function CreateGroupForm({ onCreated }: { readonly onCreated: (name: string) => void }) {
  const { call } = usePanel();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await call((c) => c.createGroup({ name: name.trim() }));
      setProblem(null);
      setName('');
      onCreated(r.group.name);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Create a group">
      <h3>Create a group</h3>
      <label>
        Name
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          data-testid="new-group-name"
        />
      </label>
      <button type="submit" className="primary" disabled={busy} data-testid="create-group">
        Create
      </button>
      <ProblemBox problem={problem} />
    </form>
  );
}
