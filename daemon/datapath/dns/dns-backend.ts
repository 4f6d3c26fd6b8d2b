// The session's pushed DNS on Linux, one interface for the three ways of putting it in place
// (issue #12): systemd-resolved (resolved-dns.ts), resolvconf (resolvconf-dns.ts) or
// /etc/resolv.conf itself (file-dns.ts); select-dns.ts picks one. Every way checks every value
// before anything runs, records in ONE state file (dns-state.ts) what it must undo before it
// changes anything, and undoes it on disconnect, after an OpenVPN crash, or at the daemon's next
// start when the daemon itself died. System commands run with an argv array through an injectable
// runner (never a shell), their input on stdin.
import { execFile } from 'node:child_process';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { SAFE_PATH } from '../openvpn/iproute.js';
import { checkDnsSettings } from './resolv-conf.js';

export type DnsMethod = 'systemd-resolved' | 'resolvconf' | 'file';

export interface DnsApplyRequest {
  readonly servers: readonly string[];
  readonly searchDomains: readonly string[];
  readonly interfaceName: string;
  /** full tunnel: route every query to these servers (resolved: `~.` routing domain + default-route yes) */
  readonly fullTunnel: boolean;
}

export interface DnsBackend {
  readonly method: DnsMethod;
  /** Validates everything first (checkDnsSettings + interface name pattern) and writes nothing on a refusal; records in the state file what it must undo BEFORE changing anything. */
  apply(req: DnsApplyRequest): Promise<void>;
  /** Undo whatever the state file says was applied (also called at daemon start after a crash); no-op when nothing was applied. Never throws for 'nothing to undo'. */
  restore(): Promise<void>;
  applied(): Promise<boolean>;
  /** The name servers the system resolver uses right now (for the leak checks): for file/resolvconf, the `nameserver` lines of the resolv.conf path; for resolved, what `resolvectl dns` reports for the default route / the tunnel link (parse it). */
  serversInUse(): Promise<string[]>;
}

/**
 * A tunnel interface as the kernel names it (OpenVPN's `dev tun` gives tun0, tun1…): a letter first
 * (resolvectl reads an all-digit name as an index; a leading `-` would be an option), at most 15
 * characters, and no dot (resolvectl and resolvconf read what follows a dot as a protocol).
 */
const IFNAME = /^[A-Za-z][A-Za-z0-9_-]{0,14}$/;

export function checkInterfaceName(name: string): void {
  if (!IFNAME.test(name))
    throw new ViworksError('VIW_E_VALIDATION', {
      message: 'The pushed DNS settings are invalid',
      details: ['interfaceName: not an interface name'],
    });
}

/** Throws VIW_E_VALIDATION (naming the field, never the value) unless the whole request is clean. */
export function checkDnsApplyRequest(req: DnsApplyRequest): void {
  checkDnsSettings(req);
  checkInterfaceName(req.interfaceName);
  if (typeof req.fullTunnel !== 'boolean')
    throw new ViworksError('VIW_E_VALIDATION', {
      message: 'The pushed DNS settings are invalid',
      details: ['fullTunnel: not a boolean'],
    });
}

/** How a command ended: its exit status, or null when it could not run or was stopped (timeout). */
export interface CommandOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `program` (an absolute path) with `args`; `stdin` is written to it and closed. Never rejects. */
export type DnsCommandRunner = (
  program: string,
  args: readonly string[],
  stdin?: string,
) => Promise<CommandOutcome>;

export const localDnsRunner: DnsCommandRunner = (program, args, stdin) =>
  new Promise((resolve) => {
    const child = execFile(
      program,
      [...args],
      {
        timeout: 10_000,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024,
        // resolvconf's update scripts need a PATH; resolvectl must print plain, unpaged text.
        env: { PATH: SAFE_PATH, LC_ALL: 'C', SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' },
      },
      (err, stdout, stderr) => {
        const status = (err as { code?: unknown } | null)?.code;
        const code = err ? (typeof status === 'number' ? status : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin?.on('error', () => {}); // a program that exits without reading must not crash us
    child.stdin?.end(stdin ?? '');
  });

/** A command's failure as VIW_E_PREFLIGHT, with the program's own first words (no secret in them). */
export function commandFailed(
  what: string,
  program: string,
  r: CommandOutcome,
  install: string,
): ViworksError {
  return new ViworksError('VIW_E_PREFLIGHT', {
    message: `The session's DNS could not be ${what}`,
    details: [
      r.code === null
        ? `${program} could not run or did not answer (${install})`
        : `${program} exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`,
    ],
  });
}
