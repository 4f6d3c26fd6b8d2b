// Looks for a tracer (a debugger, strace: TracerPid in /proc/self/status) every interval while the
// daemon runs; the first one seen is reported once and the watch stops (viworksd then ends the
// session and exits). The timer is unref'd: it never keeps the process alive by itself. A check
// that cannot read the file counts as nothing seen (said once in the log by the caller).

export interface TracerWatchOptions {
  /** Between checks (viworksd: 2000). */
  readonly intervalMs: number;
  /** The TracerPid now: 0 for none, null when it cannot be read (process-hardening.ts readTracerPid). */
  readonly tracerPid: () => number | null;
  readonly onTracer: (pid: number) => void;
  /** Called once when a check could not read the TracerPid. */
  readonly onUnreadable?: () => void;
}

export class TracerWatch {
  private timer: NodeJS.Timeout | null = null;
  private fired = false;
  private toldUnreadable = false;

  constructor(private readonly o: TracerWatchOptions) {}

  start(): void {
    if (this.timer || this.fired) return;
    this.timer = setInterval(() => this.check(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check now; true once a tracer was seen (by this check or an earlier one). */
  check(): boolean {
    if (this.fired) return true;
    const pid = this.o.tracerPid();
    if (pid === null) {
      if (!this.toldUnreadable) this.o.onUnreadable?.();
      this.toldUnreadable = true;
      return false;
    }
    if (pid === 0) return false;
    this.fired = true;
    this.stop();
    this.o.onTracer(pid);
    return true;
  }
}

/**
 * The tracer's command name (/proc/<pid>/comm) for the backend's audit (`tracer gdb`): printable
 * ASCII only, at most 32 characters; `tracer` alone when it cannot be read.
 */
export function tracerDetail(pid: number, readText: (path: string) => string): string {
  try {
    const comm = readText(`/proc/${pid}/comm`)
      .trim()
      .replace(/[^\x20-\x7E]/g, '?')
      .slice(0, 32);
    return comm ? `tracer ${comm}` : 'tracer';
  } catch {
    return 'tracer';
  }
}
