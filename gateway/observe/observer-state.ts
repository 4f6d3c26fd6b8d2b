// What the normalizer must remember across a restart so that no log line is lost or read twice and
// no sequence number is reused: one cursor per daemon log and one for the front door's hello log, the
// last `seq` written, the stunnel relay ports of live tunnels (so an OpenVPN disconnect after a
// restart still names its TLS peer) and the round in flight. Hellos not yet claimed by a handshake are
// not kept (round.ts). One file, replaced atomically (temp + fsync + rename): a crash leaves the state
// before a round or after it, never half of one.
//
// A round is committed in two steps: first the state with the new cursors, the new `seq` and the
// round's output as `pending` (where in which output file it goes); then the output is appended and
// the state saved again without `pending`. After a crash in between, the next start finds `pending`
// and appends whatever part of it the output file does not already end with (output.ts), so the
// events of that round appear exactly once.
import { type Static, Type } from 'typebox';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { LOG_CURSOR } from '../../core/gateway/dataplane/cursor.js';
import type { TlsPeer } from '../../core/gateway/dataplane/relay-join.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import { readIfExists, writeFileAtomic } from '../state/atomic-file.js';

/** Relay ports carried across a restart (live tunnels; the oldest beyond this are dropped). */
export const PERSISTED_RELAYS = 1000;
/**
 * A bound on one round's output (the pending copy lives in the state file). A round reads at most
 * ROUND_LINES per log; a line completes at most two facts, an event line is under 1.5 KB: ≈ 4.5 MB.
 */
export const MAX_ROUND_OUTPUT_BYTES = 16 * 1024 * 1024;

const Cursor = Type.String({ maxLength: 64, pattern: LOG_CURSOR });
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const StateSchema = Type.Object(
  {
    v: Type.Literal(1),
    /** The last sequence number given to an event (0: none yet). */
    seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    cursors: Type.Object(
      {
        fwknopd: Cursor,
        stunnel: Cursor,
        openvpn: Cursor,
        /**
         * The hello log's. Absent in the state files of nodes that ran the normalizer before it read
         * the hello log (and while its config names none): the observer then starts at its end.
         */
        hello: Type.Optional(Cursor),
      },
      closed,
    ),
    relays: Type.Array(
      Type.Object(
        {
          relay: Port,
          ip: Nullable(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9a-f:.]+$' })),
          port: Nullable(Port),
          session: Nullable(Type.String({ pattern: '^s-[0-9a-f]{32}$' })),
        },
        closed,
      ),
      { maxItems: PERSISTED_RELAYS },
    ),
    pending: Nullable(
      Type.Object(
        {
          /** The output file the round goes to (its inode) and its size before the round. */
          inode: Type.String({ pattern: '^[0-9]{1,20}$' }),
          offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
          text: Type.String({ maxLength: MAX_ROUND_OUTPUT_BYTES }),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type ObserverState = Static<typeof StateSchema>;
export type PendingRound = NonNullable<ObserverState['pending']>;
const validator = strictValidator(StateSchema);

/** The state on disk, undefined when there is none yet; a file that does not check is an error. */
export function readObserverState(path: string): ObserverState | undefined {
  const bytes = readIfExists(path);
  if (!bytes) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    doc = undefined;
  }
  if (!validator.check(doc)) {
    // Guessing would either replay the logs or skip them: say so and let the operator choose.
    throw new ViworksError('VIW_E_INTERNAL', {
      message: 'the normalizer state is unreadable; remove it to start again at the end of the logs',
    });
  }
  return doc;
}

export function writeObserverState(path: string, state: ObserverState): void {
  writeFileAtomic(path, `${JSON.stringify(validator.parse(state, 'VIW_E_INTERNAL'))}\n`, 0o600);
}

export function relaysToState(entries: readonly [number, TlsPeer][]): ObserverState['relays'] {
  return entries.map(([relay, p]) => ({ relay, ip: p.ip, port: p.port, session: p.session }));
}

export function relaysFromState(relays: ObserverState['relays']): [number, TlsPeer][] {
  return relays.map((r) => [r.relay, { ip: r.ip, port: r.port, session: r.session }]);
}

export type Cursors = ObserverState['cursors'];
