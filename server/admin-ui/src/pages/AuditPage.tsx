// The audit trail: search by user, acting administrator, session, device, action (a prefix), result
// and time range, newest first, paged; each event opens to its full JSON (as text); export what the
// filter selects as NDJSON or CSV; the integrity panel. Read-only: nothing here changes anything.
import { type FormEvent, useState } from 'react';
import type { AuditRecordViewT } from '../../../../core/api/admin.js';
import { type Problem, problemOf } from '../api.js';
import { Field } from '../components/Field.js';
import { ListTable } from '../components/ListTable.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { SelectFilter } from '../components/SelectFilter.js';
import { StatusNote } from '../components/StatusNote.js';
import { usePanel } from '../context.js';
import { PAGE_SIZE, usePagedList } from '../hooks/usePagedList.js';
import { AuditIntegrity } from './audit/AuditIntegrity.js';
import { bytesOf, exportFileName, saveBlob } from './audit/download.js';
import {
  AUDIT_RESULTS,
  type AuditFilter,
  type AuditForm,
  auditFilterOf,
  EMPTY_AUDIT_FORM,
} from './audit/filters.js';

const RESULT_BADGE: Readonly<Record<AuditRecordViewT['event']['result'], string>> = {
  success: 'badge',
  failure: 'badge warn',
  denied: 'badge bad',
  error: 'badge bad',
};

export function AuditPage() {
  const { call } = usePanel();
  const [form, setForm] = useState<AuditForm>(EMPTY_AUDIT_FORM);
  // The list follows the applied filter, not every keystroke.
  const [filter, setFilter] = useState<AuditFilter>({});
  const [open, setOpen] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [exporting, setExporting] = useState(false);
  const list = usePagedList<AuditRecordViewT, AuditFilter>(async (f, cursor) => {
    const r = await call((c) => c.queryAudit({ ...f, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }));
    return { items: r.events, next: r.next_cursor };
  }, filter);
  const set = (k: keyof AuditForm) => (v: string) => setForm((f) => ({ ...f, [k]: v }));
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter(auditFilterOf(form));
  };
  const exportAs = async (format: 'ndjson' | 'csv') => {
    setExporting(true);
    try {
      const parts = await bytesOf(await call((c) => c.exportAudit({ ...filter, format })));
      const name = exportFileName(format, new Date());
      saveBlob(parts, format === 'csv' ? 'text/csv' : 'application/x-ndjson', name);
      setProblem(null);
      setNote(`Exported ${name}.`);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setExporting(false);
    }
  };
  return (
    <>
      <h2>Audit</h2>
      <ProblemBox problem={problem} />
      <StatusNote note={note} />
      <form className="filters" onSubmit={apply} aria-label="Search the audit trail">
        <Field
          label="User (pseudonym)"
          value={form.user}
          onChange={set('user')}
          placeholder="u-…"
          testId="audit-user"
        />
        <Field
          label="Administrator (pseudonym)"
          value={form.actor}
          onChange={set('actor')}
          testId="audit-actor"
        />
        <Field label="Session" value={form.session} onChange={set('session')} testId="audit-session" />
        <Field label="Device" value={form.device} onChange={set('device')} testId="audit-device" />
        <Field
          label="Action (prefix)"
          value={form.action}
          onChange={set('action')}
          placeholder="admin.user"
          testId="audit-action"
        />
        <SelectFilter
          label="Result"
          value={form.result}
          options={AUDIT_RESULTS.map((r) => [r, r] as const)}
          onChange={set('result')}
          testId="audit-result"
        />
        <Field
          label="From"
          type="datetime-local"
          value={form.from}
          onChange={set('from')}
          testId="audit-from"
        />
        <Field label="To" type="datetime-local" value={form.to} onChange={set('to')} testId="audit-to" />
        <button type="submit" className="primary" data-testid="audit-search">
          Search
        </button>
        <button
          type="button"
          disabled={exporting}
          onClick={() => exportAs('ndjson')}
          data-testid="audit-export-ndjson"
        >
          Export NDJSON
        </button>
        <button
          type="button"
          disabled={exporting}
          onClick={() => exportAs('csv')}
          data-testid="audit-export-csv"
        >
          Export CSV
        </button>
      </form>
      <ListTable
        list={list}
        label="Audit events"
        testId="audit-events"
        columns={['#', 'Time (UTC)', 'Action', 'Result', 'User', 'Session', 'Component', '']}
        empty="No events match."
        row={(r) => {
          const e = r.event;
          const shown = open === r.seq;
          return [
            <tr key={r.seq} data-testid={`audit-${r.seq}`}>
              <td>{r.seq}</td>
              <td>{e.timestamp}</td>
              <td>
                <code data-testid="audit-row-action">{e.action}</code>
              </td>
              <td>
                <span className={RESULT_BADGE[e.result]}>{e.result}</span>
              </td>
              <td>{e.user_id ?? '—'}</td>
              <td>{e.session_id ?? '—'}</td>
              <td>{e.component}</td>
              <td>
                <button
                  type="button"
                  aria-expanded={shown}
                  onClick={() => setOpen(shown ? null : r.seq)}
                  data-testid="audit-toggle"
                >
                  {shown ? 'Hide JSON' : 'JSON'}
                </button>
              </td>
            </tr>,
            shown && (
              <tr key={`${r.seq}-json`}>
                <td colSpan={8}>
                  {/* Text only: React escapes it, nothing of an event reaches an HTML sink. */}
                  <pre data-testid="audit-json">{JSON.stringify(r, null, 2)}</pre>
                </td>
              </tr>
            ),
          ];
        }}
      />
      <AuditIntegrity />
    </>
  );
}
