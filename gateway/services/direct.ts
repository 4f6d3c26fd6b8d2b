// 'direct' service mode: viworks-gw starts the daemons itself, each in its own session so it
// outlives the SSH request, with no inherited stdio (the exec channel must close when we exit) and a
// minimal environment (SSH_* variables stay with us). Each is tracked only by its pid file, checked
// against /proc/<pid>/comm before any signal is sent. The data-plane normalizer and the front door's
// capture are our own Node programs (gateway/bin/viworks-gw-observe, viworks-gw-frontdoor), started
// the same way.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { NodeService } from '../../core/gateway/control.js';
import { FRONT_DOOR_SERVICE, frontDoorPaths } from '../front-door/paths.js';
import type { NodeConfig } from '../node-config.js';
import { OBSERVER_SERVICE, observerPaths } from '../observe/observer-paths.js';
import { forwarderPaths } from '../render/node-facts.js';
import { removeIfExists } from '../state/atomic-file.js';
import { processMatches, runningPid } from './process-check.js';
import type { NodeDaemon, ServiceManager } from './service-manager-types.js';
import { binaryOf, commNamesOf, fwknopdLog, pidFileOf } from './service-paths.js';

const CHILD_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 50;
const RELOAD_TIMEOUT_MS = 5_000;
/** What fwknopd 2.6 logs once it sniffs again after a start or a SIGHUP. */
const FWKNOPD_READY = 'Starting fwknopd main event loop';

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  try {
    const data = readFileSync(file);
    return data.subarray(Math.min(offset, data.length)).toString('utf8');
  } catch {
    return '';
  }
}

/** Our Node programs' entry points: .ts under tsx (development, tests), .js when built. */
const nodeBin = (name: string) =>
  fileURLToPath(new URL(`../bin/${name}${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
const OBSERVER_BIN = nodeBin('viworks-gw-observe');
const FRONT_DOOR_BIN = nodeBin('viworks-gw-frontdoor');

/** Of our own Node options, only a module loader (`--import`, tsx in development) is passed on. */
export function loaderArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] ?? '';
    const next = execArgv[i + 1];
    if (arg === '--import' && next !== undefined) {
      out.push(arg, next);
      i++;
    } else if (arg.startsWith('--import=')) {
      out.push(arg);
    }
  }
  return out;
}

const failed = (service: NodeDaemon, what: string) =>
  new ViworksError('VIW_E_GATEWAY_COMMAND', { message: `${service} ${what}` });

/** Runs a launcher that daemonizes and exits (stunnel, openvpn --daemon, rsyslogd). */
function launch(binary: string, args: readonly string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      args,
      { env: CHILD_ENV, timeout: START_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (err) => resolve(err ? (typeof err.code === 'number' ? err.code : null) : 0),
    );
    child.stdin?.end();
  });
}

/** The daemonizing services' command lines; each writes its own pid file where pidFileOf says. */
function launchArgs(config: NodeConfig, service: Exclude<NodeService, 'fwknopd'>): string[] {
  const p = config.facts.paths;
  switch (service) {
    case 'stunnel':
      return [p.stunnelConf];
    case 'openvpn':
      return ['--config', p.openvpnConf, '--daemon'];
    case 'rsyslog': {
      // Its own config and pid file: never /etc/rsyslog.conf nor the system rsyslogd's /run/rsyslogd.pid.
      const f = forwarderPaths(config.state_dir);
      return ['-f', f.conf, '-i', f.pid];
    }
  }
}

export class DirectServices implements ServiceManager {
  constructor(private readonly config: NodeConfig) {}

  pid(service: NodeDaemon): number | null {
    return runningPid(pidFileOf(this.config, service), commNamesOf(this.config, service));
  }

  async reload(service: NodeDaemon): Promise<boolean> {
    const pid = this.pid(service);
    if (pid === null) return false;
    const from = service === 'fwknopd' ? sizeOf(fwknopdLog(this.config)) : 0;
    process.kill(pid, 'SIGHUP');
    // fwknopd closes its pcap handle while it re-reads access.conf: a knock arriving in that window
    // is lost (the client's first try fails and it must knock again, and the lost packet stays
    // usable by whoever captured it). So the reply waits until it is listening again.
    if (service === 'fwknopd') await this.awaitLogLine(fwknopdLog(this.config), from, FWKNOPD_READY);
    return true;
  }

  private async awaitLogLine(file: string, from: number, line: string): Promise<void> {
    const deadline = Date.now() + RELOAD_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (readFrom(file, from).includes(line)) return;
      await sleep(POLL_MS);
    }
    throw failed('fwknopd', 'did not resume listening after a reload');
  }

  async restart(service: NodeDaemon): Promise<void> {
    await this.stop(service);
    const pidFile = pidFileOf(this.config, service);
    // A leftover pid file would make a failed start look like success.
    removeIfExists(pidFile);
    const from = service === 'fwknopd' ? sizeOf(fwknopdLog(this.config)) : 0;
    await this.start(service);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.pid(service) !== null) {
        if (service === 'fwknopd') await this.awaitLogLine(fwknopdLog(this.config), from, FWKNOPD_READY);
        return;
      }
      await sleep(POLL_MS);
    }
    throw failed(service, 'did not come up (no live process behind its pid file)');
  }

  private async start(service: NodeDaemon): Promise<void> {
    const p = this.config.facts.paths;
    if (service === OBSERVER_SERVICE) {
      const o = observerPaths(this.config.state_dir);
      this.startNodeProgram(OBSERVER_BIN, o.conf, o.ownLog);
      return;
    }
    if (service === FRONT_DOOR_SERVICE) {
      const f = frontDoorPaths(this.config.state_dir);
      this.startNodeProgram(FRONT_DOOR_BIN, f.conf, f.ownLog);
      return;
    }
    const bin = binaryOf(this.config, service);
    if (service === 'fwknopd') {
      mkdirSync(p.fwknopRunDir, { recursive: true, mode: 0o700 });
      const log = openSync(fwknopdLog(this.config), 'a', 0o600);
      try {
        const args = [
          '--foreground',
          '-c',
          p.fwknopdConf,
          '-a',
          p.accessConf,
          '-p',
          pidFileOf(this.config, service),
        ];
        const child = spawn(bin, args, { detached: true, stdio: ['ignore', log, log], env: CHILD_ENV });
        child.on('error', () => {});
        child.unref();
      } finally {
        closeSync(log);
      }
      return;
    }
    const code = await launch(bin, launchArgs(this.config, service));
    if (code !== 0) throw failed(service, `failed to start (exit ${code ?? 'signal'}); see its log`);
  }

  /** One of our Node programs with its rendered config; it writes its own pid file once it runs. */
  private startNodeProgram(bin: string, conf: string, ownLog: string): void {
    const log = openSync(ownLog, 'a', 0o600);
    try {
      const args = [...loaderArgs(process.execArgv), bin, '--config', conf];
      const child = spawn(process.execPath, args, {
        detached: true,
        stdio: ['ignore', log, log],
        env: CHILD_ENV,
      });
      child.on('error', () => {});
      child.unref();
    } finally {
      closeSync(log);
    }
  }

  async stop(service: NodeDaemon): Promise<void> {
    const pid = this.pid(service);
    if (pid === null) return;
    const names = commNamesOf(this.config, service);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!processMatches(pid, names)) return;
      await sleep(POLL_MS);
    }
    if (!processMatches(pid, names)) return;
    process.kill(pid, 'SIGKILL');
    // A restart must not start the next instance while this one still holds its files and port.
    const killDeadline = Date.now() + STOP_TIMEOUT_MS;
    while (processMatches(pid, names) && Date.now() < killDeadline) await sleep(POLL_MS);
  }
}
