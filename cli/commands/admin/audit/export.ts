import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { Flags } from '@oclif/core';
import { type Static, Type } from 'typebox';
import { AUDIT_EXPORT_FORMATS, AUDIT_EXPORT_MAX_ROWS } from '../../../../core/api/admin-audit.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { auditFilterFlags, auditFilterQuery } from '../../../lib/audit-filters.js';
import { usageError } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

/**
 * `admin audit export`: where the file went and what it holds. `capped`: it holds the most rows an
 * export gives (AUDIT_EXPORT_MAX_ROWS); continue with `--cursor <next_cursor>`.
 */
export const AdminAuditExportResultSchema = v1({
  format: Type.Enum(AUDIT_EXPORT_FORMATS),
  out: Type.Union([Type.String(), Type.Null()]),
  rows: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  last_seq: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  capped: Type.Boolean(),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});
export type AdminAuditExportResult = Static<typeof AdminAuditExportResultSchema>;

/**
 * Counts the rows of an export as its text passes and remembers the last one's seq. Event text is
 * printable ASCII (core/audit/event.ts), so every row is exactly one line in both formats.
 */
export class ExportTally {
  rows = 0;
  lastSeq: number | null = null;
  private partial = '';
  private headerSeen: boolean;

  constructor(private readonly format: (typeof AUDIT_EXPORT_FORMATS)[number]) {
    this.headerSeen = format !== 'csv';
  }

  add(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      if (!this.headerSeen) {
        this.headerSeen = true;
        continue;
      }
      this.rows++;
      const seq =
        this.format === 'csv'
          ? Number(line.slice(0, line.indexOf(',')))
          : (JSON.parse(line) as { seq: number }).seq;
      if (Number.isSafeInteger(seq) && seq > 0) this.lastSeq = seq;
    }
  }
}

/** Downloads audit events as one NDJSON (verifiable with `viworks-server audit verify --ndjson`) or CSV file. */
export default class AdminAuditExport extends AdminCommand<AdminAuditExportResult> {
  static override summary = 'Export audit events as NDJSON or CSV';
  static override description =
    'The events `admin audit query` would list, with the same filters, oldest first. Without --out ' +
    'the file goes to stdout. At most 100000 rows per export: a capped one names the --cursor to ' +
    'continue from. CSV cells that a spreadsheet would run as a formula start with an apostrophe.';
  static override examples = [
    '<%= config.bin %> admin audit export --format csv --from 2030-01-01T00:00:00Z --out january.csv',
    '<%= config.bin %> admin audit export --out trail.ndjson --json',
  ];
  static override flags = {
    format: Flags.option({
      options: AUDIT_EXPORT_FORMATS,
      default: 'ndjson' as const,
      description: 'File format',
    })(),
    out: Flags.string({
      description: 'Write to this new file (mode 0600) instead of stdout',
      helpValue: 'FILE',
    }),
    cursor: Flags.string({ description: 'Continue after this seq (a capped export’s next_cursor)' }),
    ...auditFilterFlags,
  };

  async run(): Promise<AdminAuditExportResult> {
    const { flags } = await this.parse(AdminAuditExport);
    if (this.jsonEnabled() && !flags.out)
      throw usageError(
        '--json needs --out FILE',
        'stdout carries the result object, the file must go elsewhere.',
      );
    const client = await this.adminClient();
    const stream = await client.exportAudit({
      format: flags.format,
      ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
      ...auditFilterQuery(flags),
    });
    let file: WriteStream | null = null;
    const tally = new ExportTally(flags.format);
    let bytes = 0;
    try {
      if (flags.out) file = await openNew(flags.out);
      const decoder = new TextDecoder('utf-8');
      for await (const chunk of stream.chunks) {
        bytes += chunk.length;
        const text = decoder.decode(chunk, { stream: true });
        tally.add(text);
        if (file) await write(file, text);
        else process.stdout.write(text);
      }
      if (file) await close(file);
    } catch (err) {
      stream.close();
      // A cut-off export must not pass for a complete one.
      if (file) {
        file.destroy();
        rmSync(flags.out!, { force: true });
      }
      throw err;
    }
    const capped = tally.rows >= AUDIT_EXPORT_MAX_ROWS;
    const next = capped && tally.lastSeq !== null ? String(tally.lastSeq) : null;
    if (flags.out) this.log(`${tally.rows} events written to ${flags.out} (${flags.format}).`);
    if (next)
      this.progress(`The export stopped at ${AUDIT_EXPORT_MAX_ROWS} events: continue with --cursor ${next}`);
    return {
      v: 1,
      format: flags.format,
      out: flags.out ?? null,
      rows: tally.rows,
      bytes,
      last_seq: tally.lastSeq,
      capped,
      next_cursor: next,
    };
  }
}

/** A new file, 0600 (audit data: who did what, from where); an existing one is never overwritten. */
function openNew(path: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const s = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    s.once('open', () => resolve(s));
    s.once('error', (err) => {
      const why = (err as { code?: string }).code === 'EEXIST' ? 'exists already' : 'cannot be written';
      reject(usageError(`${path} ${why}`, 'Choose a new file name.'));
    });
  });
}

const write = (s: WriteStream, text: string) =>
  new Promise<void>((resolve, reject) => s.write(text, (err) => (err ? reject(err) : resolve())));
const close = (s: WriteStream) =>
  new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
