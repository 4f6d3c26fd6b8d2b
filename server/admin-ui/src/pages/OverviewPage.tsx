// The landing page: live VPN sessions, the auth funnel of the last hour (login → OTP → bootstrap →
// tunnel), gateway health, open alerts — GET /admin/overview, refreshed every 15 s. The refresh is a
// background call: an Overview left open keeps no unattended panel signed in.
import { useEffect, useState } from 'react';
import type { FunnelStageViewT, OverviewReplyT } from '../../../../core/api/admin-overview.js';
import { type Problem, problemOf } from '../api.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { When } from '../components/When.js';
import { usePanel } from '../context.js';
import { hashOf } from './catalog.js';

export const OVERVIEW_REFRESH_MS = 15_000;

const STAGE_LABEL: Readonly<Record<FunnelStageViewT['stage'], string>> = {
  login: 'Password login',
  otp: 'One-time code',
  bootstrap: 'Bootstrap',
  tunnel: 'Tunnel up',
};

const HEALTH_BADGE = { ok: 'badge', unknown: 'badge warn', failing: 'badge bad' } as const;

export function OverviewPage() {
  const { can, call, background } = usePanel();
  const [overview, setOverview] = useState<OverviewReplyT | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    let live = true;
    const load = (first: boolean) =>
      (first ? call : background)((c) => c.overview()).then(
        (r) => {
          if (!live) return;
          setOverview(r);
          setProblem(null);
        },
        (err: unknown) => {
          if (live) setProblem(problemOf(err));
        },
      );
    load(true);
    const timer = setInterval(() => load(false), OVERVIEW_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [call, background]);

  return (
    <>
      <h2>Overview</h2>
      <ProblemBox problem={problem} />
      {overview && (
        <>
          <p className="muted">
            As of <When iso={overview.generated_at} />; refreshed every {OVERVIEW_REFRESH_MS / 1000} s.
          </p>
          <section aria-labelledby="ov-sessions">
            <h3 id="ov-sessions">Live sessions</h3>
            <p>
              <strong data-testid="overview-live-sessions">{overview.sessions.live}</strong>{' '}
              <a href={hashOf('sessions')}>see the sessions</a>
            </p>
          </section>
          <Funnel funnel={overview.funnel} />
          <Gateways gateways={overview.gateways} />
          <section aria-labelledby="ov-alerts">
            <h3 id="ov-alerts">Open alerts</h3>
            <p data-testid="overview-alerts">
              <strong>{overview.alerts.open}</strong> open
              {overview.alerts.open_critical > 0 && (
                <>
                  , <span className="badge bad">{overview.alerts.open_critical} critical</span>
                </>
              )}
              {can('alerts:read') && (
                <>
                  {' '}
                  <a href={hashOf('alerts')} data-testid="overview-alerts-link">
                    see the alerts
                  </a>
                </>
              )}
            </p>
          </section>
        </>
      )}
    </>
  );
}

function Funnel({ funnel }: { readonly funnel: OverviewReplyT['funnel'] }) {
  return (
    <section aria-labelledby="ov-funnel">
      <h3 id="ov-funnel">Sign-in funnel, last hour</h3>
      <div className="table-scroll">
        <table data-testid="overview-funnel">
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col">Succeeded</th>
              <th scope="col">Failed or denied</th>
            </tr>
          </thead>
          <tbody>
            {funnel.stages.map((s) => (
              <tr key={s.stage} data-testid={`funnel-${s.stage}`}>
                <th scope="row">{STAGE_LABEL[s.stage]}</th>
                <td>{s.success}</td>
                {/* A tunnel that did not come up is silent: the backend counts no tunnel failures. */}
                <td>{s.stage === 'tunnel' ? '—' : s.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!funnel.complete && (
        <p className="note">More events than counted in this hour: the counts are a floor.</p>
      )}
    </section>
  );
}

function Gateways({ gateways }: { readonly gateways: OverviewReplyT['gateways'] }) {
  return (
    <section aria-labelledby="ov-gateways">
      <h3 id="ov-gateways">Gateways</h3>
      <p data-testid="overview-gateways">
        {gateways.total} in all: {gateways.ok} healthy, {gateways.failing} failing, {gateways.unknown} not yet
        checked
      </p>
      {gateways.items.length > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Gateway</th>
                <th scope="col">Status</th>
                <th scope="col">Health</th>
                <th scope="col">Last checked</th>
              </tr>
            </thead>
            <tbody>
              {gateways.items.map((g) => (
                <tr key={g.name}>
                  <td>{g.name}</td>
                  <td>{g.status}</td>
                  <td>
                    <span className={HEALTH_BADGE[g.health]}>{g.health}</span>
                  </td>
                  <td>
                    <When iso={g.last_health_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
