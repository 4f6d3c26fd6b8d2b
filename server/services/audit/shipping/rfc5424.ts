// The audit stream as syslog: one RFC 5424 message per stored event, framed for TLS transport by
// octet counting (RFC 5425 §4.3). The event's place in the chain travels in structured data, so a
// receiver can de-duplicate (at-least-once delivery sends some events twice) and check the chain
// whatever the body format (native JSON, ECS or OCSF) is.
import { canonicalJson } from '../../../../core/audit/chain.js';
import type { AuditEvent } from '../../../../core/audit/event.js';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import type { ShippedRecord } from './transport.js';

/** RFC 5424 §6.2.1 facility 13, "log audit". */
export const FACILITY_LOG_AUDIT = 13;
export const DEFAULT_APP_NAME = 'viworks-server';
/**
 * Our SD-ID. 32473 is the documentation Private Enterprise Number of RFC 5612, to be replaced by a
 * registered PEN before a receiver outside our own tests depends on it.
 */
export const VIWORKS_SD_ID = 'viworks@32473';
/** RFC 5424 §7.3.1: meta sequenceId runs 1..2147483647 and then starts over at 1. */
const SEQUENCE_ID_MAX = 2_147_483_647;
/** Far above any event the schema allows; a receiver such as rsyslog must accept this (maxMessageSize). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

const SEVERITY_CODE: Record<AuditEvent['severity'], number> = {
  critical: 2,
  error: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** The default body: the stored event with its chain fields, canonical JSON (ASCII only: every field is). */
export function renderNativeBody(record: ShippedRecord): string {
  return canonicalJson({ seq: record.seq, hash: record.hash, prev_hash: record.prevHash, ...record.event });
}

export interface SyslogHeader {
  /** 1*255 printable US-ASCII; anything else is replaced by the NILVALUE. */
  readonly hostname: string;
  readonly appName?: string;
  readonly procId?: string;
}

/** `seq` as RFC 5424's meta sequenceId, which wraps; the full seq is in our own SD element too. */
export function sequenceIdOf(seq: number): number {
  return ((seq - 1) % SEQUENCE_ID_MAX) + 1;
}

/** RFC 5424 §6.3.3: inside PARAM-VALUE, '"', '\' and ']' are escaped with a backslash. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** A header field: printable US-ASCII without spaces, at most `max` characters, else "-". */
function headerField(value: string | undefined, max: number): string {
  if (!value) return '-';
  const printable = value.replace(/[^\x21-\x7E]/g, '');
  return printable.length > 0 ? printable.slice(0, max) : '-';
}

/** One RFC 5424 message (no framing). Throws VIW_E_VALIDATION when it would exceed MAX_MESSAGE_BYTES. */
export function formatSyslogMessage(
  record: ShippedRecord,
  header: SyslogHeader,
  render: (record: ShippedRecord) => string = renderNativeBody,
): string {
  const { event } = record;
  const pri = FACILITY_LOG_AUDIT * 8 + SEVERITY_CODE[event.severity];
  // MSGID holds 32 characters; actions are shorter in practice and the body carries the full one.
  const fields = [
    `<${pri}>1`,
    event.timestamp,
    headerField(header.hostname, 255),
    headerField(header.appName ?? DEFAULT_APP_NAME, 48),
    headerField(header.procId, 128),
    headerField(event.action, 32),
  ];
  const sd =
    `[meta sequenceId="${sequenceIdOf(record.seq)}"]` +
    `[${VIWORKS_SD_ID} seq="${record.seq}" hash="${escapeParamValue(record.hash)}"` +
    ` prevHash="${escapeParamValue(record.prevHash)}"]`;
  const message = `${fields.join(' ')} ${sd} ${render(record)}`;
  if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new ViworksError('VIW_E_VALIDATION', {
      details: [`audit event ${record.seq}: syslog message too large`],
    });
  }
  return message;
}

/** RFC 5425 §4.3 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export interface ParsedSyslogMessage {
  readonly pri: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  /** SD-ID → PARAM-NAME → value (unescaped). */
  readonly structuredData: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly msg: string;
}

const HEADER = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /;
const SD_NAME = /^[^= \]"]{1,32}/;

/**
 * Parses one RFC 5424 message as formatSyslogMessage writes it (for tests and receivers' checks).
 * Throws VIW_E_VALIDATION on anything it cannot read.
 */
export function parseSyslogMessage(text: string): ParsedSyslogMessage {
  const bad = (why: string) => new ViworksError('VIW_E_VALIDATION', { details: [`syslog message: ${why}`] });
  const head = HEADER.exec(text);
  if (!head) throw bad('header');
  let rest = text.slice(head[0].length);
  const structuredData: Record<string, Record<string, string>> = {};
  if (rest.startsWith('-')) rest = rest.slice(1);
  else {
    while (rest.startsWith('[')) {
      const id = SD_NAME.exec(rest.slice(1));
      if (!id) throw bad('SD-ID');
      const params: Record<string, string> = {};
      rest = rest.slice(1 + id[0].length);
      while (rest.startsWith(' ')) {
        const name = SD_NAME.exec(rest.slice(1));
        if (!name || rest[1 + name[0].length] !== '=' || rest[2 + name[0].length] !== '"')
          throw bad('SD-PARAM');
        let i = 3 + name[0].length;
        let value = '';
        for (; i < rest.length && rest[i] !== '"'; i++) {
          if (rest[i] === '\\' && i + 1 < rest.length && '"\\]'.includes(rest[i + 1] as string)) i++;
          value += rest[i];
        }
        if (i >= rest.length) throw bad('unterminated PARAM-VALUE');
        params[name[0]] = value;
        rest = rest.slice(i + 1);
      }
      if (!rest.startsWith(']')) throw bad('SD-ELEMENT');
      structuredData[id[0]] = params;
      rest = rest.slice(1);
    }
  }
  if (rest.length > 0 && !rest.startsWith(' ')) throw bad('MSG separator');
  return {
    pri: Number(head[1]),
    version: Number(head[2]),
    timestamp: head[3] as string,
    hostname: head[4] as string,
    appName: head[5] as string,
    procId: head[6] as string,
    msgId: head[7] as string,
    structuredData,
    msg: rest.slice(1),
  };
}
