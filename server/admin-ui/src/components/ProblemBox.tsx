// A failure as the backend named it: the stable code (what support and the docs know it by), the
// message, the fix-it hint, and the trace id that finds the request in the backend's log.
import type { Problem } from '../api.js';

export function ProblemBox({ problem }: { readonly problem: Problem | null }) {
  if (!problem) return null;
  return (
    <div className="problem" role="alert" data-testid="problem">
      <p>
        <code data-testid="problem-code">{problem.code}</code> {problem.message}
      </p>
      <p className="hint">{problem.hint}</p>
      {problem.details.length > 0 && (
        <ul className="details">
          {problem.details.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
      {problem.traceId && <p className="trace">trace id {problem.traceId}</p>}
    </div>
  );
}
