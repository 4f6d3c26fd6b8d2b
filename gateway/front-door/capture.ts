// The front door's passive ClientHello capture (gateway/README.md#front-door-fingerprints): stunnel
// cannot say what a client's ClientHello was, so a tcpdump child copies the segments that carry
// payload to the front-door port (bpf-filter.ts) to our stdout pipe as a pcap stream; we reassemble
// each connection's first bytes, fingerprint its ClientHello with core/tls (pipeline.ts) and append one
// JSON line per connection to the hello log (hello-writer.ts). Nothing is in the data path:
// stunnel serves the connection whatever happens here.
//
// tcpdump runs with a fixed argv — the interface (checked name), the snap length and the filter built
// from the port number — and no shell; it is stopped by its PID only. Anything the stream carries is
// judged by the readers (never throwing); what goes wrong is reported through onError, never thrown
// from a callback.
import { type ChildProcess, spawn } from 'node:child_process';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { checkIfname } from '../render/values.js';
import { frontDoorFilter } from './bpf-filter.js';
import { FLOW_MAX_BYTES } from './flows.js';
import { HelloLogWriter } from './hello-writer.js';
import { HelloPipeline } from './pipeline.js';

export const TCPDUMP_BIN = '/usr/bin/tcpdump';
/** A whole ClientHello behind the largest link, IPv6 and TCP headers (SLL2 20 + 40 + 60). */
export const SNAPLEN = FLOW_MAX_BYTES + 128;
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const STDERR_KEEP = 2048;

export interface FrontDoorCaptureOptions {
  /** The front-door (stunnel) port. */
  readonly port: number;
  /** The interface to listen on (default `any`). */
  readonly iface?: string;
  /** The hello log (gateway/front-door/paths.ts frontDoorHelloLog). */
  readonly out: string;
  /** Problems after the start: tcpdump exiting, a broken stream, a failed write. Must not throw. */
  readonly onError: (err: Error) => void;
  /** Default TCPDUMP_BIN. */
  readonly tcpdump?: string;
}

export interface FrontDoorCapture {
  /** Resolves once tcpdump listens; rejects if it could not start (also reported to onError). */
  readonly ready: Promise<void>;
  readonly pid: number | undefined;
  /** Resolves once tcpdump is gone, for whatever reason (a service exits with it when not stopping). */
  readonly ended: Promise<void>;
  /** Stops tcpdump (SIGTERM, then SIGKILL) by its PID and writes the lines still queued. */
  stop(): Promise<void>;
}

export function startFrontDoorCapture(opts: FrontDoorCaptureOptions): FrontDoorCapture {
  const filter = frontDoorFilter(opts.port);
  const iface = checkIfname('front door interface', opts.iface ?? 'any');
  if (iface.startsWith('-')) throw new ViworksError('VIW_E_CONFIG', { details: ['front door interface'] });
  const report = (err: Error) => {
    try {
      opts.onError(err);
    } catch {
      // the caller's handler must not take the capture down
    }
  };
  const writer = new HelloLogWriter(opts.out, report);
  const pipeline = new HelloPipeline(opts.port);
  const args = ['-i', iface, '-n', '-p', '-U', '--immediate-mode', '-s', String(SNAPLEN), '-w', '-', filter];
  const child: ChildProcess = spawn(opts.tcpdump ?? TCPDUMP_BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  let stderr = '';
  let stopping = false;
  let listening = false;
  let streamBroken = false;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const lastWords = () =>
    stderr
      .replace(/[^\x20-\x7e\n]/g, '?')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new ViworksError('VIW_E_INTERNAL', { details: ['front door: tcpdump did not start listening'] }),
      );
      void stop();
    }, START_TIMEOUT_MS);
    timer.unref();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEEP);
      if (!listening && /listening on /.test(stderr)) {
        listening = true;
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new ViworksError('VIW_E_INTERNAL', {
          details: [`front door: cannot run tcpdump (${(err as NodeJS.ErrnoException).code ?? 'error'})`],
        }),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const why = new ViworksError('VIW_E_INTERNAL', {
        details: [`front door: tcpdump exited (${code ?? signal}): ${lastWords()}`.slice(0, 300)],
      });
      if (!listening) reject(why);
      else if (!stopping) report(why);
    });
  });
  // Seen by the caller through `ready`; reported here too, so nobody has to await it.
  ready.catch(report);

  child.stdout?.on('data', (chunk: Buffer) => {
    if (streamBroken) return;
    for (const line of pipeline.push(chunk)) writer.write(JSON.stringify(line));
    if (pipeline.failed) {
      streamBroken = true;
      report(
        new ViworksError('VIW_E_INTERNAL', { details: [`front door: ${pipeline.failed}; capture stopped`] }),
      );
      void stop();
    }
  });

  async function stop(): Promise<void> {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const pid = child.pid;
      signal(pid, 'SIGTERM');
      const killer = setTimeout(() => signal(pid, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
    }
    await writer.flush();
  }

  return { ready, pid: child.pid, ended: exited, stop };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
