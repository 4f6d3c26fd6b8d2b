// A real syslog-over-TLS receiver for tests: Debian's rsyslogd (rsyslog + rsyslog-gnutls) in the
// foreground with its own config, work directory and pid file under `dir`, listening on loopback with
// imtcp + the gtls driver (TLS only, StreamDriver.Mode 1; client certificate required and checked
// against the CA and the permitted peer names, AuthMode x509/name). No imuxsock, no imklog, nothing
// in /var/log or /dev/log: its own notices go to stderr (output()).
//
// Every received message is written raw (RFC 5424 as sent, structured data included, without the
// RFC 5425 length prefix) as one line of messagesFile. The ruleset's queue is Direct, so a message
// is in the file before rsyslog reads what follows it: once rsyslog has closed a connection after our
// end of stream, every message sent on it is in the file (syslog-transport.ts relies on exactly this).
//
// Used by the backend's shipper tests and the gateway's; keep the API stable.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NsProcess } from './netns.js';
import { needPeers, type PeerCheck } from './peers.js';
import { freePort } from './ports.js';

export const RSYSLOGD = '/usr/sbin/rsyslogd';

/** needPeers for rsyslogd and its GnuTLS driver (a module, not a binary: checked by existence). */
export function needRsyslog(opts: { root?: boolean } = {}): PeerCheck {
  const gtls = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'].some((d) =>
    existsSync(join(d, 'rsyslog', 'lmnsd_gtls.so')),
  );
  return needPeers({
    binaries: [RSYSLOGD, ...(gtls ? [] : ['rsyslog/lmnsd_gtls.so'])],
    apt: 'rsyslog rsyslog-gnutls',
    ...(opts.root ? { root: true } : {}),
  });
}

export interface RsyslogReceiverOptions {
  /** Owned by the caller (created and removed by it); the receiver's files go here. */
  readonly dir: string;
  /** Trust anchors for client certificates (PEM file). */
  readonly caFile: string;
  /** The receiver's certificate (chain) and key (PEM files). */
  readonly certFile: string;
  readonly keyFile: string;
  /** Client names accepted (certificate SAN dNSName, else CN; rsyslog wildcards such as *.example allowed). */
  readonly permittedPeers: readonly string[];
  /** Default: a free loopback port. */
  readonly port?: number;
  /** Listen address; default 127.0.0.1 (e.g. a namespace's address for the gateway lab). */
  readonly address?: string;
}

export interface RsyslogReceiver {
  readonly port: number;
  /** The running rsyslogd's PID (changes on restart()). */
  readonly pid: number;
  /** One line per received message, raw RFC 5424. */
  readonly messagesFile: string;
  /** SIGTERM by PID (SIGKILL after 3 s). */
  stop(): Promise<void>;
  /** stop(), then start again on the same port, appending to the same messagesFile. */
  restart(): Promise<void>;
  /** The lines of messagesFile so far. */
  messages(): Promise<string[]>;
  /** rsyslogd's own notices (refused peers, handshake errors), as received. */
  output(): string;
}

/** rsyslog config strings cannot escape a quote: refuse anything that could break out of one. */
function configValue(value: string, what: string): string {
  if (!/^[A-Za-z0-9*@%+,./:_-]{1,4096}$/.test(value))
    throw new Error(`rsyslog receiver: unsafe ${what}: ${value}`);
  return value;
}

function rsyslogConfig(opts: RsyslogReceiverOptions, port: number, messagesFile: string): string {
  const peers = opts.permittedPeers.map((p) => `"${configValue(p, 'peer name')}"`).join(', ');
  return `${[
    `global(workDirectory="${configValue(join(opts.dir, 'work'), 'path')}" maxMessageSize="64k"`,
    `  defaultNetstreamDriverCAFile="${configValue(opts.caFile, 'path')}"`,
    `  defaultNetstreamDriverCertFile="${configValue(opts.certFile, 'path')}"`,
    `  defaultNetstreamDriverKeyFile="${configValue(opts.keyFile, 'path')}")`,
    'module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/name"',
    `  permittedPeer=[${peers}] gnutlsPriorityString="NORMAL:-VERS-ALL:+VERS-TLS1.3")`,
    'template(name="viwRaw" type="string" string="%rawmsg%\\n")',
    'ruleset(name="viwTls" queue.type="Direct") {',
    `  action(type="omfile" file="${configValue(messagesFile, 'path')}" template="viwRaw" fileCreateMode="0600")`,
    '}',
    `input(type="imtcp" port="${port}" address="${configValue(opts.address ?? '127.0.0.1', 'address')}" ruleset="viwTls")`,
  ].join('\n')}\n`;
}

/**
 * True once process `pid` itself listens on address:port (IPv4): the listening socket's inode, from
 * /proc/net/tcp, among the process's descriptors. No probe connection; and a port another process
 * holds does not count (rsyslogd that cannot bind just logs it and keeps running).
 */
function listensOn(pid: number, address: string, port: number): boolean {
  const hexPort = port.toString(16).padStart(4, '0').toUpperCase();
  const hexAddr = address
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase();
  const inodes = new Set(
    readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => (f[1] === `${hexAddr}:${hexPort}` || f[1] === `00000000:${hexPort}`) && f[3] === '0A')
      .map((f) => `socket:[${f[9]}]`),
  );
  if (inodes.size === 0) return false;
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

async function launch(opts: RsyslogReceiverOptions, port: number, messagesFile: string): Promise<NsProcess> {
  const conf = join(opts.dir, 'rsyslog.conf');
  writeFileSync(conf, rsyslogConfig(opts, port, messagesFile), { mode: 0o600 });
  mkdirSync(join(opts.dir, 'work'), { recursive: true, mode: 0o700 });
  const proc = new NsProcess(
    'rsyslogd',
    spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(opts.dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && proc.running) {
    if (proc.pid !== undefined && listensOn(proc.pid, opts.address ?? '127.0.0.1', port)) return proc;
    if (/Could not create tcp listener/.test(proc.output)) break;
    await sleep(25);
  }
  await proc.stop();
  throw new Error(`rsyslogd did not listen on ${port}: ${proc.output.slice(-2000)}`);
}

export async function startRsyslogReceiver(opts: RsyslogReceiverOptions): Promise<RsyslogReceiver> {
  const messagesFile = join(opts.dir, 'messages.log');
  let port = opts.port ?? (await freePort());
  let proc: NsProcess;
  for (let attempt = 1; ; attempt++) {
    try {
      proc = await launch(opts, port, messagesFile);
      break;
    } catch (err) {
      // The free port may have been taken between probe and bind: try another (unless it was given).
      if (opts.port !== undefined || attempt >= 3) throw err;
      port = await freePort();
    }
  }
  let earlier = '';
  const receiver: RsyslogReceiver = {
    port,
    get pid() {
      return proc.pid ?? -1;
    },
    messagesFile,
    stop: () => proc.stop(),
    async restart() {
      await proc.stop();
      earlier += proc.output;
      proc = await launch(opts, port, messagesFile);
    },
    async messages() {
      try {
        return (await readFile(messagesFile, 'utf8')).split('\n').filter((l) => l.length > 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    output: () => earlier + proc.output,
  };
  return receiver;
}
