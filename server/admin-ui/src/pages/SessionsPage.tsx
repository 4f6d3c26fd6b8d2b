// VPN sessions, kept live: the list (paged; filtered by state, and by user from a row's name) with
// the rows GET /admin/sessions/events pushes applied — a session that starts appears, one that ends
// shows ended within a second. Terminate asks first (sessions:terminate).
import { useRef, useState } from 'react';
import type { SessionViewT } from '../../../../core/api/admin.js';
import { type Problem, problemOf } from '../api.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { ListTable } from '../components/ListTable.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { SelectFilter } from '../components/SelectFilter.js';
import { StatusNote } from '../components/StatusNote.js';
import { When } from '../components/When.js';
import { usePanel } from '../context.js';
import { PAGE_SIZE, usePagedList } from '../hooks/usePagedList.js';
import {
  liveRows,
  type Pushed,
  remember,
  type SessionFilter,
  type SessionStateFilter,
} from './sessions/live-rows.js';
import { type StreamState, useSessionStream } from './sessions/useSessionStream.js';

const STREAM_LABEL: Readonly<Record<StreamState, string>> = {
  connecting: 'connecting to live updates…',
  live: 'live',
  reconnecting: 'live updates interrupted, reconnecting…',
};

export function SessionsPage() {
  const { can, call, background } = usePanel();
  const [filter, setFilter] = useState<SessionFilter>({ state: 'live', userId: '' });
  const [userName, setUserName] = useState('');
  const [pushed, setPushed] = useState<ReadonlyMap<string, Pushed>>(new Map());
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  // A reload the stream asked for is no activity of the administrator's (see context.ts).
  const quiet = useRef(false);
  const list = usePagedList<SessionViewT, SessionFilter>(async (f, cursor) => {
    const run = quiet.current ? background : call;
    quiet.current = false;
    const r = await run((c) =>
      c.listSessions({
        limit: PAGE_SIZE,
        state: f.state,
        ...(cursor ? { cursor } : {}),
        ...(f.userId ? { user_id: f.userId } : {}),
      }),
    );
    return { items: r.sessions, next: r.next_cursor };
  }, filter);
  const stream = useSessionStream({
    onRow: (row) => setPushed((p) => remember(p, row)),
    onSubscribed: () => {
      quiet.current = true;
      list.reload();
    },
  });
  const terminate = async (s: SessionViewT) => {
    try {
      const r = await call((c) => c.terminateSession(s.id));
      setPushed((p) => remember(p, r.session));
      setProblem(null);
      setNote(`${s.username}'s session on ${s.gateway_name} terminated.`);
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  const rows = liveRows(list.items, pushed, filter, list.page === 1);
  const terminates = can('sessions:terminate');
  return (
    <>
      <h2>Sessions</h2>
      <p className="muted" role="status" data-testid="stream-state" data-state={stream}>
        Updates: {STREAM_LABEL[stream]}
      </p>
      <ProblemBox problem={problem} />
      <StatusNote note={note} />
      <div className="filters">
        <SelectFilter
          label="State"
          value={filter.state === 'all' ? '' : filter.state}
          options={[
            ['live', 'live'],
            ['ended', 'ended'],
          ]}
          onChange={(v) => setFilter({ ...filter, state: (v || 'all') as SessionStateFilter })}
          testId="filter-state"
        />
        {filter.userId && (
          <span className="filter">
            Only {userName}'s sessions{' '}
            <button
              type="button"
              onClick={() => setFilter({ ...filter, userId: '' })}
              data-testid="filter-user-clear"
            >
              Show everyone's
            </button>
          </span>
        )}
      </div>
      <ListTable
        list={list}
        label="Sessions"
        testId="sessions"
        columns={['User', 'Device', 'Gateway', 'State', 'Started', 'Last heard', 'Ends / ended', 'Actions']}
        empty="No sessions."
        items={rows}
        row={(s) => (
          <tr key={s.id} data-testid={`session-${s.id}`} data-state={s.state}>
            <td>
              <button
                type="button"
                title={`Only ${s.username}'s sessions`}
                onClick={() => {
                  setUserName(s.username);
                  setFilter({ ...filter, userId: s.user_id });
                }}
              >
                {s.username}
              </button>
            </td>
            <td>
              <code title={s.device_id}>{s.device_id.slice(-8)}</code>
            </td>
            <td>{s.gateway_name}</td>
            <td>
              <span className={s.state === 'live' ? 'badge' : 'badge warn'}>
                {s.state === 'live' ? 'live' : `ended${s.end_reason ? ` (${s.end_reason})` : ''}`}
              </span>
            </td>
            <td>
              <When iso={s.created_at} />
            </td>
            <td>
              <When iso={s.last_heartbeat_at} />
            </td>
            <td>
              <When iso={s.ended_at ?? s.expires_at} />
            </td>
            <td className="actions">
              {terminates && s.state === 'live' && (
                <ConfirmButton
                  label="Terminate"
                  question={`Terminate ${s.username}'s VPN session? The tunnel closes at once.`}
                  onConfirm={() => terminate(s)}
                  testId="terminate"
                  danger
                />
              )}
            </td>
          </tr>
        )}
      />
    </>
  );
}
