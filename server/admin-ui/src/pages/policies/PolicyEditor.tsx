// A new version of a policy: the document edited as JSON text, a preview of the change against the
// current version (lines added and removed), then save. The backend validates the document (its
// problems come back with code, hint and details) and decides whether the change widens access: a
// narrowing applies at once, a relaxation waits for a second administrator's approval.
import { useState } from 'react';
import type { PolicyDocument } from '../../../../../core/api/policy.js';
import { type Problem, problemOf } from '../../api.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { usePanel } from '../../context.js';
import { type DiffLine, lineDiff, prettyJson, unchanged } from './line-diff.js';

const DIFF_CLASS = { ' ': 'diff-keep', '-': 'diff-del', '+': 'diff-add' } as const;

export function PolicyEditor({
  name,
  current,
  onSaved,
}: {
  readonly name: string;
  readonly current: PolicyDocument;
  /** After a save: what happened, for the page's status line. */
  readonly onSaved: (note: string) => void;
}) {
  const { call } = usePanel();
  const [text, setText] = useState(() => prettyJson(current));
  const [preview, setPreview] = useState<DiffLine[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  /** The edited text as a document, or null with the parse error shown. */
  const parsed = (): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      setProblem({
        code: 'VIW_E_BAD_REQUEST',
        message: 'The document is not valid JSON.',
        hint: 'Fix the text and preview again.',
        details: [err instanceof Error ? err.message : String(err)],
        traceId: null,
      });
      return null;
    }
  };
  const showPreview = () => {
    const doc = parsed();
    if (doc === null) return setPreview(null);
    setProblem(null);
    setPreview(lineDiff(prettyJson(current), prettyJson(doc)));
  };
  const save = async () => {
    const doc = parsed();
    if (doc === null) return;
    setBusy(true);
    try {
      // The backend checks the document against its schema: the panel sends what was typed.
      const r = await call((c) => c.updatePolicy(name, doc as PolicyDocument));
      setProblem(null);
      setPreview(null);
      onSaved(
        r.status === 'pending'
          ? `This change widens access and waits for a second administrator: ${r.change.summary}.`
          : `Version ${r.version.version} of ${name} is now in effect.`,
      );
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-label={`Edit ${name}`}>
      <h4>New version</h4>
      <label>
        Document (JSON)
        <textarea
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setPreview(null);
          }}
          rows={24}
          cols={80}
          spellCheck={false}
          data-testid="policy-editor"
        />
      </label>
      <ProblemBox problem={problem} />
      <div className="actions">
        <button type="button" onClick={showPreview} data-testid="policy-preview">
          Preview changes
        </button>
        {preview && !unchanged(preview) && (
          <button type="button" className="primary" disabled={busy} onClick={save} data-testid="policy-save">
            Save as a new version
          </button>
        )}
      </div>
      {preview &&
        (unchanged(preview) ? (
          <p className="muted" data-testid="policy-diff-none">
            No change from the current version.
          </p>
        ) : (
          <pre data-testid="policy-diff" title="Changes from the current version">
            {preview.map((l, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional and never reordered
              <span key={i} className={DIFF_CLASS[l.op]} data-op={l.op}>
                {`${l.op} ${l.text}\n`}
              </span>
            ))}
          </pre>
        ))}
    </section>
  );
}
