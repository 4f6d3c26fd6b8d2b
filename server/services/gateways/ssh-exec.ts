// One control command on one gateway over SSH (ssh2), one attempt: connect with modern algorithms
// only, accept the host key only if its fingerprint equals the row's pin (constant time; an empty pin
// is refused before any connection: never trust on first use), authenticate with the control key,
// exec the request line, write the stdin document and close stdin, read one bounded reply line and
// the exit status. Expected failures come back as a value (the runner audits and retries them); this
// file logs nothing and never sees the audit stream.
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { constantTimeEqual, wipe } from '../../../core/crypto/bytes.js';
import { type ControlVerb, type GatewayReply, gatewayReply } from '../../../core/gateway/control.js';
import { sshFingerprint } from './openssh-keys.js';
import { type ControlRequest, commandLine, stdinBytes } from './request.js';

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** `SHA256:<base64>`; empty means not registered (refused). */
  readonly hostKeyFingerprint: string;
}

export interface ExecTimeouts {
  /** TCP connect + SSH handshake + authentication. */
  readonly connectMs: number;
  /** From the exec request to the channel's close. */
  readonly commandMs: number;
}

export const DEFAULT_CONNECT_MS = 5_000;
export const DEFAULT_COMMAND_MS = 30_000;
/** apply_config renders and restarts services on the node. */
export const APPLY_CONFIG_COMMAND_MS = 60_000;
/** Largest reply read from a node (a pull_logs page of 5000 lines fits). */
export const MAX_REPLY_BYTES = 2 * 1024 * 1024;
const MAX_STDERR_BYTES = 64 * 1024;

export function timeoutsFor(verb: ControlVerb): ExecTimeouts {
  return {
    connectMs: DEFAULT_CONNECT_MS,
    commandMs:
      verb === 'apply_config' || verb === 'browser_spawn' ? APPLY_CONFIG_COMMAND_MS : DEFAULT_COMMAND_MS,
  };
}

/**
 * Modern algorithms only: Ed25519 host keys, X25519 key exchange, AEAD ciphers (our choice; the
 * specification asks for a key-based channel: docs/architecture.md#ssh-control-plane).
 */
export const SSH_ALGORITHMS: NonNullable<ConnectConfig['algorithms']> = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org'],
  serverHostKey: ['ssh-ed25519'],
  cipher: ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com'],
  // Unused with AEAD ciphers, but the negotiation still needs a common MAC name.
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'],
  compress: ['none'],
};

export type ExecFailureCode =
  | 'VIW_E_GATEWAY_HOSTKEY'
  | 'VIW_E_GATEWAY_COMMAND'
  | 'VIW_E_GATEWAY_UNREACHABLE'
  | 'VIW_E_GATEWAY_NOT_READY';

export type ExecOutcome =
  | { readonly ok: true; readonly rc: 0; readonly reply: GatewayReply }
  | {
      readonly ok: false;
      readonly code: ExecFailureCode;
      /** Exit status, null when the command never ran or ended without one. */
      readonly rc: number | null;
      /** Short, non-secret reason (for the error's details and the audit's error_msg). */
      readonly detail: string;
      /** Only failures before the command started are worth another try. */
      readonly retryable: boolean;
      readonly reply?: GatewayReply;
    };

export function hostKeyMatches(presentedBlob: Uint8Array, pin: string): boolean {
  const seen = Buffer.from(sshFingerprint(presentedBlob), 'utf8');
  const want = Buffer.from(pin, 'utf8');
  return seen.length === want.length && constantTimeEqual(seen, want);
}

/** The reply line, parsed against the protocol; null when it is not one. */
export function parseReply(stdout: Buffer, verb: ControlVerb): GatewayReply | null {
  const text = stdout.toString('utf8').trim();
  if (text === '' || text.includes('\n')) return null;
  try {
    const reply = gatewayReply.parse(JSON.parse(text));
    return reply.cmd === verb ? reply : null;
  } catch {
    return null;
  }
}

/** Classifies a finished command: exit 0 with an ok reply is the only success. */
export function outcomeOf(verb: ControlVerb, rc: number | null, stdout: Buffer): ExecOutcome {
  const reply = parseReply(stdout, verb);
  if (rc === 0 && reply?.ok) return { ok: true, rc: 0, reply };
  const why =
    rc === 2
      ? 'the gateway refused the request as invalid'
      : rc === 0 || rc === 1
        ? 'the gateway reported a failure'
        : 'the command ended without an exit status';
  // The node's own message says which step failed (e.g. "browser sandbox: sandbox rules failed");
  // the node never puts a secret in it, and only printable ASCII is kept.
  const said = reply?.error
    ? ` (${reply.error.code}: ${reply.error.message.replace(/[^\x20-\x7e]/g, '?')})`
    : '';
  const detail = reply ? `${why}${said}` : `${why}; no valid reply`;
  return {
    ok: false,
    code: 'VIW_E_GATEWAY_COMMAND',
    rc,
    detail,
    retryable: false,
    ...(reply ? { reply } : {}),
  };
}

type ExecFailure = Exclude<ExecOutcome, { ok: true }>;
export type ConnectOutcome = { readonly ok: true; readonly client: Client } | ExecFailure;

const unreachable = (detail: string, retryable: boolean): ExecFailure => ({
  ok: false,
  code: 'VIW_E_GATEWAY_UNREACHABLE',
  rc: null,
  detail,
  retryable,
});

/** Refused before any connection: a gateway without an address or a pinned host key. */
function notReady(target: SshTarget): ExecFailure | null {
  if (target.hostKeyFingerprint !== '' && target.host !== '') return null;
  return {
    ok: false,
    code: 'VIW_E_GATEWAY_NOT_READY',
    rc: null,
    detail: 'no SSH address or host-key pin registered',
    retryable: false,
  };
}

/**
 * One authenticated SSH connection to the node, the host key checked against its pin. The key buffer
 * is wiped once ssh2 has parsed it. A ready client comes back with no listeners of ours left on it:
 * the caller (one exec, or the pool) owns its lifetime.
 */
export function connectSsh(
  target: SshTarget,
  privateKey: Buffer,
  connectMs: number,
  keepaliveMs = 0,
): Promise<ConnectOutcome> {
  const refused = notReady(target);
  if (refused) {
    wipe(privateKey);
    return Promise.resolve(refused);
  }
  return new Promise<ConnectOutcome>((resolve) => {
    const client = new Client();
    let hostKeyRejected = false;
    let settled = false;
    const fail = (outcome: ExecFailure) => {
      if (settled) return;
      settled = true;
      client.removeListener('close', onClose);
      client.destroy();
      resolve(outcome);
    };
    const onError = (err: Error & { level?: string }) => {
      if (hostKeyRejected) {
        fail({
          ok: false,
          code: 'VIW_E_GATEWAY_HOSTKEY',
          rc: null,
          detail: 'the presented host key does not match the pin',
          retryable: false,
        });
      } else if (err.level === 'client-authentication') {
        fail(unreachable('the gateway refused the control key', false));
      } else if (err.level === 'client-socket' || err.level === 'client-timeout') {
        fail(unreachable(`connection failed (${err.level})`, true));
      } else {
        fail(unreachable('SSH handshake failed', false));
      }
    };
    const onClose = () => fail(unreachable('connection closed before the command finished', true));
    client.on('error', onError);
    client.on('close', onClose);
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      client.removeListener('close', onClose);
      // ssh2 emits 'error' without a listener as an uncaught exception: the owner adds its own
      // handlers at once, this one only keeps a late error from crashing the process meanwhile.
      client.removeListener('error', onError);
      client.on('error', () => undefined);
      resolve({ ok: true, client });
    });
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey,
      readyTimeout: connectMs,
      keepaliveInterval: keepaliveMs,
      keepaliveCountMax: 3,
      algorithms: SSH_ALGORITHMS,
      hostVerifier: (key: Buffer) => {
        if (hostKeyMatches(key, target.hostKeyFingerprint)) return true;
        hostKeyRejected = true;
        return false;
      },
      agent: undefined,
      tryKeyboard: false,
    };
    try {
      client.connect(config);
    } catch {
      fail(unreachable('SSH client setup failed', false));
    } finally {
      // ssh2 parsed the key inside connect(); our copy of the file is no longer needed.
      wipe(privateKey);
    }
  });
}

/**
 * One control command on an open connection (an exec channel): the request line, the stdin document,
 * one bounded reply line and the exit status. `watchLoss` registers a callback for the connection
 * dying under the command (and returns its removal: a long-lived connection must not collect them). On a timeout the whole connection is destroyed (`onStuck`): closing only the channel
 * would leave the node's command running, while a dropped connection ends it (sshd hangs it up).
 */
export function execOn(
  client: Client,
  req: ControlRequest,
  commandMs: number,
  watchLoss: (onLost: () => void) => () => void,
  onStuck: () => void,
): Promise<ExecOutcome> {
  const line = commandLine(req);
  const input = stdinBytes(req);
  return new Promise<ExecOutcome>((resolve) => {
    let settled = false;
    let channel: ClientChannel | undefined;
    const finish = (outcome: ExecOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(commandTimer);
      unwatch();
      channel?.removeAllListeners('data');
      resolve(outcome);
    };
    const commandTimer = setTimeout(() => {
      finish(unreachable('the command timed out', false));
      onStuck();
    }, commandMs);
    const unwatch = watchLoss(() =>
      finish(unreachable('connection closed before the command finished', true)),
    );
    client.exec(line, (err, stream) => {
      if (err) {
        // A refused channel on a connection that looked alive: a new connection may work.
        finish(unreachable('the gateway refused the exec request', true));
        return;
      }
      if (settled) {
        stream.close();
        return;
      }
      channel = stream;
      const out: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let rc: number | null = null;
      stream.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > MAX_REPLY_BYTES) {
          finish({
            ok: false,
            code: 'VIW_E_GATEWAY_COMMAND',
            rc: null,
            detail: 'reply too large',
            retryable: false,
          });
          stream.close();
        } else out.push(chunk);
      });
      // Read and dropped (bounded): diagnostics belong in the node's own logs, not ours.
      stream.stderr.on('data', (chunk: Buffer) => {
        errBytes += chunk.length;
        if (errBytes > MAX_STDERR_BYTES) stream.stderr.pause();
      });
      stream.on('exit', (code: number | null) => {
        rc = typeof code === 'number' ? code : null;
      });
      stream.on('close', () => finish(outcomeOf(req.verb, rc, Buffer.concat(out))));
      stream.end(input);
    });
  });
}

/** The grammar is checked before any connection (a backend bug never reaches a node). */
export function checkRequest(req: ControlRequest, privateKey?: Buffer): void {
  try {
    commandLine(req);
    stdinBytes(req);
  } catch (err) {
    if (privateKey) wipe(privateKey);
    throw err;
  }
}

/** One command on a connection of its own (connect, exec, disconnect): tests and one-off tools. */
export async function sshExec(
  target: SshTarget,
  privateKey: Buffer,
  req: ControlRequest,
  timeouts: ExecTimeouts = timeoutsFor(req.verb),
): Promise<ExecOutcome> {
  checkRequest(req, privateKey);
  const conn = await connectSsh(target, privateKey, timeouts.connectMs);
  if (!conn.ok) return conn;
  const client = conn.client;
  const watchLoss = (onLost: () => void) => {
    client.once('close', onLost);
    return () => client.removeListener('close', onLost);
  };
  try {
    return await execOn(client, req, timeouts.commandMs, watchLoss, () => client.destroy());
  } finally {
    conn.client.destroy();
  }
}
