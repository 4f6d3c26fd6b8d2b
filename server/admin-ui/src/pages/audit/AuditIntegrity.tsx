// The audit trail's integrity: the newest sealed batch and signed checkpoint, the last run of the
// verifier, and "Verify now" (any reader may run it: it changes nothing, the backend rate-limits it),
// which shows ok or the verifier's first problem.
import { useCallback, useEffect, useState } from 'react';
import type { AuditIntegrityReplyT, AuditVerificationViewT } from '../../../../../core/api/admin-audit.js';
import { type Problem, problemOf } from '../../api.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { When } from '../../components/When.js';
import { usePanel } from '../../context.js';

function Verification({ v, testId }: { readonly v: AuditVerificationViewT; readonly testId: string }) {
  const p = v.first_problem;
  return (
    <span data-testid={testId}>
      <span className={v.ok ? 'badge' : 'badge bad'}>{v.ok ? 'ok' : 'failed'}</span> <When iso={v.at} />,{' '}
      {v.events} events, {v.batches_verified} batches, {v.checkpoints} checkpoints
      {p && (
        <>
          {' '}
          — first problem: <code>{p.kind}</code>
          {p.batch !== null && ` (batch ${p.batch})`}
          {p.seq !== null && ` (event ${p.seq})`}: {p.message}
        </>
      )}
    </span>
  );
}

export function AuditIntegrity() {
  const { call } = usePanel();
  const [state, setState] = useState<AuditIntegrityReplyT | null>(null);
  const [fresh, setFresh] = useState<AuditVerificationViewT | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const load = useCallback(() => {
    call((c) => c.auditIntegrity()).then(setState, (err) => setProblem(problemOf(err)));
  }, [call]);
  useEffect(load, [load]);
  const verify = async () => {
    setBusy(true);
    try {
      setFresh(await call((c) => c.verifyAudit()));
      setProblem(null);
      load();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  const m = state?.latest_manifest;
  const cp = state?.latest_checkpoint;
  return (
    <section aria-labelledby="audit-integrity" data-testid="audit-integrity">
      <h3 id="audit-integrity">Integrity</h3>
      <ProblemBox problem={problem} />
      {state && (
        <dl>
          <dt>Events</dt>
          <dd>
            {state.events}
            {state.chain_head && ` (head: event ${state.chain_head.seq})`}, {state.unsealed_events} not yet
            sealed
          </dd>
          <dt>Last sealed batch</dt>
          <dd data-testid="audit-manifest">
            {m ? (
              <>
                batch {m.batch}: events {m.first_seq}–{m.last_seq}, sealed <When iso={m.sealed_at} />,
                signature {m.signature.replace('_', ' ')}
                {m.archived_at ? ', archived' : ''}
              </>
            ) : (
              'none yet'
            )}
          </dd>
          <dt>Last checkpoint</dt>
          <dd>
            {cp ? (
              <>
                event {cp.seq}, <When iso={cp.at} />, signature {cp.signature.replace('_', ' ')}
              </>
            ) : (
              'none yet'
            )}
          </dd>
          <dt>Last verification</dt>
          <dd>
            {state.last_verification ? (
              <Verification v={state.last_verification} testId="audit-last-verification" />
            ) : (
              'never'
            )}
          </dd>
        </dl>
      )}
      <button type="button" onClick={verify} disabled={busy} data-testid="audit-verify">
        {busy ? 'Verifying…' : 'Verify now'}
      </button>
      {fresh && (
        <p role="status">
          <Verification v={fresh} testId="audit-verify-result" />
        </p>
      )}
    </section>
  );
}
