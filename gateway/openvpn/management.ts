// A minimal client for OpenVPN's management interface on its unix socket (`management <sock> unix`):
// connect, wait for the `>INFO:` banner, send one command, read its answer (one SUCCESS:/ERROR: line,
// or a block ending in END), close. Asynchronous `>…` notifications are skipped. Every step has a
// deadline: a wedged OpenVPN must not hang the control request.
import { connect, type Socket } from 'node:net';
import { SESSION_WIRE_ID } from '../../core/gateway/control.js';

const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export class ManagementUnavailable extends Error {}

type AnswerShape = 'line' | 'block';

/** Sends one command; resolves with the answer's lines (without the final END for blocks). */
export function managementCommand(
  socketPath: string,
  command: string,
  shape: AnswerShape,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<string[]> {
  if (!/^[\x20-\x7e]+$/.test(command)) throw new TypeError('management command must be printable ASCII');
  return new Promise((resolve, reject) => {
    let buffered = '';
    let bannerSeen = false;
    const answer: string[] = [];
    let settled = false;
    const sock: Socket = connect({ path: socketPath });
    const done = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(answer);
    };
    const timer = setTimeout(
      () => done(new ManagementUnavailable('management interface timed out')),
      timeoutMs,
    );
    sock.setEncoding('utf8');
    sock.on('error', (e) =>
      done(new ManagementUnavailable(`management interface unavailable: ${e.message}`)),
    );
    sock.on('close', () => done(new ManagementUnavailable('management interface closed the connection')));
    sock.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_ANSWER_BYTES) return done(new Error('management answer too large'));
      let nl = buffered.indexOf('\n');
      while (nl >= 0 && !settled) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
        if (!bannerSeen) {
          if (line.startsWith('>INFO:')) {
            bannerSeen = true;
            sock.write(`${command}\n`);
          }
          continue;
        }
        if (line.startsWith('>')) continue; // real-time notification, not our answer
        if (shape === 'line') {
          answer.push(line);
          return done(undefined);
        }
        if (line === 'END') return done(undefined);
        if (answer.length === 0 && line.startsWith('ERROR:')) return done(new Error(line.slice(0, 200)));
        answer.push(line);
      }
    });
  });
}

const SESSION_RE = new RegExp(SESSION_WIRE_ID);

/** Common names of connected clients that look like session ids (`status 3`: tab-separated). */
export function parseStatus3Sessions(lines: readonly string[]): string[] {
  const names = new Set<string>();
  for (const line of lines) {
    const fields = line.split('\t');
    if (fields[0] === 'CLIENT_LIST' && fields[1] && SESSION_RE.test(fields[1])) names.add(fields[1]);
  }
  return [...names].sort();
}

/** Connected session CNs; [] when OpenVPN (or its management socket) is not there. */
export async function connectedSessions(socketPath: string): Promise<string[]> {
  try {
    return parseStatus3Sessions(await managementCommand(socketPath, 'status 3', 'block'));
  } catch (err) {
    if (err instanceof ManagementUnavailable) return [];
    throw err;
  }
}

/**
 * Parses the answer to `kill <cn>`: "SUCCESS: common name 'x' found, 2 client(s) killed" or
 * "ERROR: common name 'x' not found".
 */
export function parseKillAnswer(line: string): number {
  const ok = /^SUCCESS: common name '[^']*' found, ([0-9]+) client\(s\) killed/.exec(line);
  if (ok) return Number(ok[1]);
  if (/^ERROR: common name '[^']*' not found/.test(line)) return 0;
  throw new Error(`unexpected management answer: ${line.slice(0, 120)}`);
}

/** Disconnects every client with this CN; 0 when none is connected or OpenVPN is not running. */
export async function killByCommonName(socketPath: string, commonName: string): Promise<number> {
  if (!SESSION_RE.test(commonName)) throw new TypeError('not a session id');
  try {
    const [line = ''] = await managementCommand(socketPath, `kill ${commonName}`, 'line');
    return parseKillAnswer(line);
  } catch (err) {
    if (err instanceof ManagementUnavailable) return 0;
    throw err;
  }
}
