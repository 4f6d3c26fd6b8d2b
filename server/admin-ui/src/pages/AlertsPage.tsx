// Alerts of the detection rules (docs/detections.md): open first by default, filtered by state and
// severity, paged; acknowledge one (the backend records who and when, once).
import { useState } from 'react';
import { ALERT_SEVERITIES, type AlertViewT } from '../../../../core/api/admin-alerts.js';
import { type Problem, problemOf } from '../api.js';
import { Pager } from '../components/Pager.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { SelectFilter } from '../components/SelectFilter.js';
import { When } from '../components/When.js';
import { usePanel } from '../context.js';
import { PAGE_SIZE, usePagedList } from '../hooks/usePagedList.js';

type Severity = (typeof ALERT_SEVERITIES)[number];
interface Filter {
  readonly acked: 'true' | 'false' | '';
  readonly severity: Severity | '';
}

export function AlertsPage() {
  const { can, call } = usePanel();
  const [filter, setFilter] = useState<Filter>({ acked: 'false', severity: '' });
  const [problem, setProblem] = useState<Problem | null>(null);
  const list = usePagedList<AlertViewT, Filter>(async (f, cursor) => {
    const r = await call((c) =>
      c.listAlerts({
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
        ...(f.acked ? { acked: f.acked } : {}),
        ...(f.severity ? { severity: f.severity } : {}),
      }),
    );
    return { items: r.alerts, next: r.next_cursor };
  }, filter);
  const ack = async (a: AlertViewT) => {
    try {
      await call((c) => c.ackAlert(a.id));
      setProblem(null);
      list.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  return (
    <>
      <h2>Alerts</h2>
      <div className="filters">
        <SelectFilter
          label="State"
          value={filter.acked}
          options={[
            ['false', 'open'],
            ['true', 'acknowledged'],
          ]}
          onChange={(acked) => setFilter({ ...filter, acked })}
          testId="filter-acked"
        />
        <SelectFilter
          label="Severity"
          value={filter.severity}
          options={ALERT_SEVERITIES.map((s) => [s, s] as const)}
          onChange={(severity) => setFilter({ ...filter, severity })}
        />
      </div>
      <ProblemBox problem={problem} />
      <ProblemBox problem={list.problem} />
      <div className="table-scroll">
        <table aria-busy={list.loading} data-testid="alerts">
          <thead>
            <tr>
              <th scope="col">Fired</th>
              <th scope="col">Severity</th>
              <th scope="col">Rule</th>
              <th scope="col">Summary</th>
              <th scope="col">About</th>
              <th scope="col">Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((a) => (
              <tr key={a.id} data-testid={`alert-${a.rule}`}>
                <td>
                  <When iso={a.fired_at} />
                </td>
                <td>
                  <span className={`badge ${a.severity === 'warning' ? 'warn' : 'bad'}`}>{a.severity}</span>
                </td>
                <td>
                  <code>{a.rule}</code>
                </td>
                <td>{a.summary}</td>
                <td>
                  <code>{a.key}</code>
                </td>
                <td className="actions">
                  {a.acked_at ? (
                    <When iso={a.acked_at} />
                  ) : (
                    can('alerts:ack') && (
                      <button type="button" onClick={() => ack(a)} data-testid="ack">
                        Acknowledge
                      </button>
                    )
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!list.loading && list.items.length === 0 && <p className="muted">No alerts.</p>}
      <Pager list={list} label="Alerts" />
    </>
  );
}
