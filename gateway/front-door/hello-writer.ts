// Appends hello lines to the log, one write per batch, in order. The file is opened for each batch
// (O_APPEND, created 0600, never through a symlink, never a FIFO or device) so a rotation by
// logrotate or by hand is followed at once. Lines waiting beyond MAX_QUEUED are dropped and counted:
// a flood of connections must not grow the capture's memory without bound. Nor its disk: past
// MAX_LOG_BYTES the log is renamed to `.1` (replacing the previous one) and a new one begins; its
// readers (pull_logs, the normalizer) follow the rename by inode.
import { constants, type FileHandle, open, rename } from 'node:fs/promises';

export const MAX_QUEUED = 10_000;
/** ~80,000 connections of hello lines (~200 bytes each) per file. */
export const MAX_LOG_BYTES = 16 * 1024 * 1024;
const FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class HelloLogWriter {
  private queue: string[] = [];
  private writing: Promise<void> | null = null;
  private droppedSince = 0;

  constructor(
    private readonly path: string,
    private readonly onError: (err: Error) => void,
    private readonly maxBytes = MAX_LOG_BYTES,
  ) {}

  write(line: string): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.droppedSince++;
      return;
    }
    this.queue.push(line);
    this.writing ??= this.drain();
  }

  /** Resolves once every line queued so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        if (this.droppedSince > 0) {
          this.onError(new Error(`front door: ${this.droppedSince} hello line(s) dropped (writer behind)`));
          this.droppedSince = 0;
        }
        await this.append(`${batch.join('\n')}\n`);
      }
    } finally {
      this.writing = null;
    }
  }

  private async append(text: string): Promise<void> {
    let fh: FileHandle | undefined;
    try {
      fh = await open(this.path, FLAGS, 0o600);
      const st = await fh.stat();
      if (!st.isFile()) throw new Error('not a regular file');
      if (st.size > 0 && st.size + text.length > this.maxBytes) {
        await fh.close();
        fh = undefined;
        await rename(this.path, `${this.path}.1`);
        fh = await open(this.path, FLAGS, 0o600);
        if (!(await fh.stat()).isFile()) throw new Error('not a regular file');
      }
      await fh.appendFile(text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.onError(new Error(`front door: cannot append to the hello log (${code})`));
    } finally {
      await fh?.close();
    }
  }
}
