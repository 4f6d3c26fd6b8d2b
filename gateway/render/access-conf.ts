// access.conf for fwknopd 2.6.10: one stanza per enrolled device, each with the device's own keys
// and its wire id as the required SPA username. fwknopd tries every stanza whose SOURCE matches, in
// file order, until one authenticates (HMAC, then decryption, then username); so `SOURCE ANY` on
// every stanza lets each device knock from anywhere with only its own keys (proved against the real
// daemon in fwknopd-lab.test.ts).
import { DEVICE_WIRE_ID, type GatewaySettings } from '../../core/gateway/control.js';
import { checkSettings, configError, renderLines } from './values.js';

export interface AccessEntry {
  /** `d-` + 32 hex: the SPA username the device's packets carry. */
  readonly deviceId: string;
  /** 32-byte Rijndael key, base64. */
  readonly keyBase64: string;
  /** 64-byte HMAC-SHA256 key, base64. */
  readonly hmacKeyBase64: string;
}

/** Upper bound on stanzas: fwknopd walks them all for every candidate packet. */
export const MAX_ACCESS_ENTRIES = 10_000;

/**
 * With no device at all, fwknopd refuses to start ("Could not find valid SOURCE stanza"). Rather
 * than a daemon that is down (and a health check that cannot tell "no devices" from "broken"), the
 * file then holds one stanza that can never grant anything: it expired in 2000 (fwknopd skips an
 * expired stanza before it even looks at the packet), its username is outside the device grammar,
 * and even if all that failed it would only open udp/9 for one second. Its keys are fixed so the
 * output stays deterministic (idempotent apply_config); they guard nothing.
 */
export const NO_DEVICE_USERNAME = 'viworks-no-device';
const NO_DEVICE_STANZA = [
  '# No device is enrolled: a stanza that expired long ago and can never open anything.',
  'SOURCE ANY',
  `REQUIRE_USERNAME ${NO_DEVICE_USERNAME}`,
  'REQUIRE_SOURCE_ADDRESS Y',
  'ACCESS_EXPIRE 01/01/2000',
  `KEY_BASE64 ${Buffer.alloc(32, 0).toString('base64')}`,
  `HMAC_KEY_BASE64 ${Buffer.alloc(64, 0xff).toString('base64')}`,
  'HMAC_DIGEST_TYPE SHA256',
  'ENCRYPTION_MODE CBC',
  'OPEN_PORTS udp/9',
  'FW_ACCESS_TIMEOUT 1',
  'MAX_FW_TIMEOUT 1',
];

const DEVICE_ID_RE = new RegExp(DEVICE_WIRE_ID);
const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

function checkKey(setting: string, value: string, bytes: number): Buffer {
  if (typeof value !== 'string' || !B64_RE.test(value) || value.length !== Math.ceil(bytes / 3) * 4) {
    throw configError(setting, `not base64 of ${bytes} bytes`);
  }
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== bytes) throw configError(setting, `not base64 of ${bytes} bytes`);
  return raw;
}

function checkEntries(entries: readonly AccessEntry[]): AccessEntry[] {
  if (!Array.isArray(entries)) throw configError('entries', 'not a list');
  if (entries.length > MAX_ACCESS_ENTRIES) throw configError('entries', 'too many devices');
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (typeof e?.deviceId !== 'string' || !DEVICE_ID_RE.test(e.deviceId)) {
      throw configError(`entries[${i}].deviceId`, 'not a device wire id');
    }
    if (seen.has(e.deviceId)) throw configError(`entries[${i}].deviceId`, 'duplicate device');
    seen.add(e.deviceId);
    const key = checkKey(`entries[${i}].keyBase64`, e.keyBase64, 32);
    const hmac = checkKey(`entries[${i}].hmacKeyBase64`, e.hmacKeyBase64, 64);
    // fwknopd itself refuses identical keys; a 32-byte key can never equal a 64-byte one, but the
    // check states the rule where a future size change would otherwise break it silently.
    if (key.equals(hmac)) throw configError(`entries[${i}]`, 'encryption and HMAC keys are identical');
    key.fill(0);
    hmac.fill(0);
  });
  return [...entries].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
}

function deviceStanza(e: AccessEntry, s: GatewaySettings): string[] {
  return [
    'SOURCE ANY',
    `REQUIRE_USERNAME ${e.deviceId}`,
    // Refuse packets that ask to open "whatever address sent this" (0.0.0.0): the client writes its
    // own address in the packet, and fwknopd opens exactly that address.
    'REQUIRE_SOURCE_ADDRESS Y',
    `KEY_BASE64 ${e.keyBase64}`,
    `HMAC_KEY_BASE64 ${e.hmacKeyBase64}`,
    'HMAC_DIGEST_TYPE SHA256',
    // core/spa encrypts like libfko's default: AES-256-CBC, "Salted__" + EVP_BytesToKey(MD5).
    'ENCRYPTION_MODE CBC',
    `OPEN_PORTS tcp/${s.tls_port}`,
    `FW_ACCESS_TIMEOUT ${s.fw_access_timeout_s}`,
    // A packet may ask for its own timeout (CLIENT_TIMEOUT_ACCESS); fwknopd's default cap is 300 s.
    `MAX_FW_TIMEOUT ${s.fw_access_timeout_s}`,
  ];
}

/**
 * Renders access.conf (0600: it holds every device's keys). Stanzas are sorted by device id so the
 * same set of devices always gives the same bytes.
 */
export function renderAccessConf(entries: readonly AccessEntry[], settings: GatewaySettings): string {
  const s = checkSettings(settings);
  const sorted = checkEntries(entries);
  if (sorted.length === 0) return renderLines(NO_DEVICE_STANZA);
  const stanzas = sorted.flatMap((e, i) => [...(i > 0 ? [''] : []), ...deviceStanza(e, s)]);
  return renderLines(stanzas);
}
