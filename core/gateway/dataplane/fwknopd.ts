// fwknopd 2.6.10's log (stdout/stderr of `fwknopd --foreground`, no timestamps) → SPA facts.
//
// fwknopd tries every stanza of access.conf in order for each candidate packet and logs each try:
//   (stanza #1) SPA Packet from IP: 10.0.0.2 received with access source match
//   [10.0.0.2] (stanza #1) Error creating fko context: Args contain invalid data: FKO_ERROR_INVALID_DATA_HMAC_COMPAREFAIL
//   (stanza #2) SPA Packet from IP: 10.0.0.2 received with access source match
//   Added access rule to FWKNOP_INPUT for 10.0.0.2 -> 0.0.0.0/0 tcp/443, expires at 1796345548
// so one packet is several lines. Accepted: an "Added … rule" line ends it, or a try that nothing
// refuses before the next packet (fwknopd adds no rule, silently, when the same one is open already).
// Rejected: every stanza refused it (known at the last stanza's refusal when the stanza count is
// known, else at the next line that is not part of it, else at the end of what was pulled).
// A replayed packet is refused before any stanza:
//   Replay detected from source IP: 10.0.0.2, Destination proto/port: 17/62201, Original source IP: …
// The log names the stanza, never the device: the node resolves `stanza #N` with its access.conf
// (DataplanePullResult.stanzas). A stanza is worth naming only when its keys authenticated the
// packet (it was accepted, or refused for a reason found after the HMAC check).
// What the sender controls: the packet bytes. fwknopd prints none of them at this verbosity except an
// authenticated packet's username (in a mismatch message), which is never taken from the line.
import { isIpv4, MAX_LINE_CHARS, port, reasonText } from './text.js';
import { type DataplaneFact, type DataplaneParser, fact, type LineContext, NO_CONTEXT } from './types.js';

const IP = '([0-9]{1,3}(?:\\.[0-9]{1,3}){3})';
const TRY_RE = new RegExp(
  `^\\(stanza #([1-9][0-9]{0,4})\\) SPA Packet from IP: ${IP} received with access source match$`,
);
const REFUSED_RE = new RegExp(`^\\[${IP}\\] \\(stanza #([1-9][0-9]{0,4})\\) (.{1,400})$`);
const NAT_RE = new RegExp(
  `^\\(stanza #([1-9][0-9]{0,4})\\) SPA packet from ${IP} requested NAT access, but is not enabled/supported$`,
);
const ADDED_RE = new RegExp(
  `^Added [a-z]{1,16} rule to [A-Z0-9_]{1,32} for ${IP} -> [0-9./]{7,18} (tcp|udp)/([0-9]{1,5}), expires at [0-9]{1,12}$`,
);
const REPLAY_RE = new RegExp(
  `^Replay detected from source IP: ${IP}, Destination proto/port: [0-9]{1,3}/[0-9]{1,5}, Original source IP: ${IP}, `,
);
/** Stands for the NAT refusal line, which has its own shape (no `[ip]` prefix). */
const NAT_REFUSED = 'NAT access requested';
/** fwknopd printed this after (re)reading access.conf: stanza numbers before and after differ. */
export const FWKNOPD_READY_RE = /^Starting fwknopd main event loop\.?$/;

interface Refusal {
  readonly reason: string;
  /** The HMAC check passed: this stanza's device made the packet. */
  readonly authenticated: boolean;
}

/** Why a stanza refused the packet, in fwknopd's fixed words (never the packet's own text). */
export function classifyRefusal(message: string): Refusal {
  if (/HMAC_COMPAREFAIL/.test(message))
    return { reason: 'no enrolled key authenticates it (HMAC)', authenticated: false };
  if (/^Access stanza has expired$/.test(message))
    return { reason: 'access stanza expired', authenticated: false };
  const skew = /^SPA data time difference is too great \((-?[0-9]{1,10}) seconds\)\.$/.exec(message);
  if (skew)
    return { reason: `packet time off by ${skew[1]} s (clock skew or an old capture)`, authenticated: true };
  if (/^Username in SPA data \(.*\) does not match required username: /.test(message))
    return { reason: "username is not the keys' device", authenticated: true };
  if (/^One or more requested protocol\/ports was denied per access\.conf\.$/.test(message))
    return { reason: 'requested port not allowed', authenticated: true };
  if (/^Got 0\.0\.0\.0 when valid source IP was required\.$/.test(message))
    return { reason: 'packet asks to open 0.0.0.0', authenticated: true };
  if (/^Invalid source IP in SPA message/.test(message))
    return { reason: 'invalid address in the packet', authenticated: true };
  if (/^Error parsing SPA message string/.test(message))
    return { reason: 'malformed SPA message', authenticated: true };
  if (message === NAT_REFUSED) return { reason: 'NAT access refused', authenticated: true };
  if (/^SPA Command messages are not allowed/.test(message))
    return { reason: 'command message refused', authenticated: true };
  const fko = /^Error creating fko context[^:]*: .*?(FKO_ERROR_[A-Z0-9_]{1,64})/.exec(message);
  if (fko) return { reason: `packet does not decode (${fko[1]})`, authenticated: false };
  return { reason: 'refused', authenticated: false };
}

interface Pending {
  readonly ip: string;
  stanza: number;
  /** Set once a stanza's keys authenticated the packet and it still refused it. */
  known: { readonly stanza: number; readonly reason: string } | null;
  lastReason: string | null;
  /** The current stanza's refusal was logged (the packet moves on to the next stanza). */
  refused: boolean;
}

export class FwknopdParser implements DataplaneParser {
  readonly source = 'fwknopd' as const;
  private pending: Pending | null = null;

  parse(line: string, ctx: LineContext = NO_CONTEXT): DataplaneFact[] {
    if (typeof line !== 'string' || line.length > MAX_LINE_CHARS) return this.finish();
    const tried = TRY_RE.exec(line);
    if (tried) return this.onTry(Number(tried[1]), tried[2] ?? '');
    const refused = REFUSED_RE.exec(line);
    if (refused) return this.onRefused(refused[1] ?? '', Number(refused[2]), refused[3] ?? '', ctx);
    const nat = NAT_RE.exec(line);
    if (nat) return this.onRefused(nat[2] ?? '', Number(nat[1]), NAT_REFUSED, ctx);
    const added = ADDED_RE.exec(line);
    if (added) return this.onAdded(added[1] ?? '', added[2] ?? '', added[3]);
    const replay = REPLAY_RE.exec(line);
    if (replay) return [...this.finish(), ...this.onReplay(replay[1] ?? '', replay[2] ?? '')];
    // Anything else (a rule expiring, a reload, a start) comes between packets: the last one is over.
    return this.finish();
  }

  /**
   * End of a pull: the packet in progress is over only if its last try was refused and, when the
   * stanza count is known, that try was the last stanza (else fwknopd may still be at work on it).
   */
  flush(ctx: LineContext = NO_CONTEXT): DataplaneFact[] {
    const p = this.pending;
    if (!p) return [];
    if (!p.refused || (ctx.stanzaCount !== null && p.stanza < ctx.stanzaCount)) return [];
    return this.finish();
  }

  /**
   * The packet in progress is over. Refused by its last try: rejected. Not refused: that stanza
   * accepted it but fwknopd added no rule, because the same rule is already open (it says so only
   * at verbose level), e.g. a second knock within the same second.
   */
  private finish(): DataplaneFact[] {
    const p = this.pending;
    this.pending = null;
    if (!p || !isIpv4(p.ip)) return [];
    if (!p.refused) {
      return [
        fact('fwknopd', 'spa.accepted', 'success', {
          srcIp: p.ip,
          stanza: p.stanza,
          reason: 'access rule already open (no new rule)',
        }),
      ];
    }
    return [
      fact('fwknopd', 'spa.rejected', 'denied', {
        srcIp: p.ip,
        stanza: p.known?.stanza ?? null,
        reason: reasonText(p.known?.reason ?? p.lastReason ?? 'refused by every stanza'),
      }),
    ];
  }

  private onTry(stanza: number, ip: string): DataplaneFact[] {
    const out: DataplaneFact[] = [];
    const p = this.pending;
    // A new packet: stanza numbers start again, or another source, or the last try was never refused.
    if (p && (stanza <= p.stanza || ip !== p.ip || !p.refused)) out.push(...this.finish());
    if (!isIpv4(ip)) return out;
    if (this.pending) {
      this.pending.stanza = stanza;
      this.pending.refused = false;
    } else {
      this.pending = { ip, stanza, known: null, lastReason: null, refused: false };
    }
    return out;
  }

  private onRefused(ip: string, stanza: number, message: string, ctx: LineContext): DataplaneFact[] {
    const out: DataplaneFact[] = [];
    if (this.pending && (this.pending.ip !== ip || this.pending.stanza !== stanza))
      out.push(...this.finish());
    if (!isIpv4(ip)) return out;
    this.pending ??= { ip, stanza, known: null, lastReason: null, refused: false };
    const refusal = classifyRefusal(message);
    this.pending.refused = true;
    this.pending.lastReason = refusal.reason;
    if (refusal.authenticated && !this.pending.known) this.pending.known = { stanza, reason: refusal.reason };
    // Every stanza has refused it: nothing else will be tried for this packet.
    if (ctx.stanzaCount !== null && stanza >= ctx.stanzaCount) out.push(...this.finish());
    return out;
  }

  private onAdded(granted: string, proto: string, portText: string | undefined): DataplaneFact[] {
    // The stanza tried last accepted it; a packet whose last try was refused is another, finished one.
    const accepting = this.pending && !this.pending.refused ? this.pending : null;
    const out = accepting ? [] : this.finish();
    this.pending = null;
    if (!isIpv4(granted)) return out;
    const src = accepting?.ip ?? granted;
    out.push(
      fact('fwknopd', 'spa.accepted', 'success', {
        srcIp: src,
        dstPort: port(portText),
        proto: proto === 'udp' ? 'udp' : 'tcp',
        stanza: accepting?.stanza ?? null,
        grantedIp: granted === src ? null : granted,
      }),
    );
    return out;
  }

  private onReplay(ip: string, original: string): DataplaneFact[] {
    if (!isIpv4(ip)) return [];
    const from = isIpv4(original) && original !== ip ? `; first seen from ${original}` : '';
    return [
      fact('fwknopd', 'spa.replayed', 'denied', {
        srcIp: ip,
        reason: reasonText(`digest already seen (replay)${from}`),
      }),
    ];
  }
}

/**
 * The stanza numbers in `lines` that name a device worth knowing: a stanza that accepted a packet
 * (its try is not followed by its refusal) and a stanza whose keys authenticated a packet it still
 * refused. The node resolves exactly these, so a flood of garbage never asks for the whole map.
 */
export function stanzasToName(lines: readonly string[]): number[] {
  const found = new Set<number>();
  const usable = (line: string | undefined) => typeof line === 'string' && line.length <= MAX_LINE_CHARS;
  lines.forEach((line, i) => {
    if (!usable(line)) return;
    const refused = REFUSED_RE.exec(line);
    if (refused) {
      if (classifyRefusal(refused[3] ?? '').authenticated) found.add(Number(refused[2]));
      return;
    }
    const nat = NAT_RE.exec(line);
    if (nat) {
      found.add(Number(nat[1]));
      return;
    }
    const tried = TRY_RE.exec(line);
    if (!tried) return;
    const next = lines[i + 1];
    const answer = usable(next) ? (REFUSED_RE.exec(next ?? '') ?? NAT_RE.exec(next ?? '')) : null;
    if (!answer) found.add(Number(tried[1]));
  });
  return [...found].sort((a, b) => a - b);
}
