// What `viworks-server start` tells its operator on stdout: where it listens, the pins clients
// must carry, and — on the very first start only — the one-time administrator password. Logs go
// to stderr as JSON and never contain the password.

import { BACKEND_ROUTES } from '../core/api/backend-routes.js';
import type { PinSet } from '../core/crypto/pins.js';
import type { KeyStorageReport } from './pki/embedded-pki.js';

export interface StartBanner {
  readonly v: 1;
  readonly url: string;
  readonly version: string;
  readonly mode: 'production' | 'development';
  readonly database: 'sqlite' | 'postgresql';
  readonly data_dir: string;
  readonly ca_file: string;
  readonly backend_pins: PinSet;
  /** Where each CA key and the audit-signing key live: file, pkcs11 (an HSM) or offline (the root). */
  readonly key_storage: KeyStorageReport;
  /** The SIEM paths events are shipped on (docs/audit.md#shipping); empty: none configured. */
  readonly siem: readonly ('syslog' | 'https')[];
  /** The WORM copy's directory; null: none configured. */
  readonly worm_dir: string | null;
  /** Present only when this start created the first administrator with a generated password. */
  readonly first_admin: { readonly username: string; readonly one_time_password: string } | null;
}

export function formatBanner(b: StartBanner): string {
  const lines = [
    `ViWorkS backend ${b.version} listening on ${b.url} (${b.mode}, ${b.database})`,
    `  data directory : ${b.data_dir}`,
    `  root CA        : ${b.ca_file}`,
    '  backend SPKI pins (clients pin both):',
    `    primary      : ${b.backend_pins.primary_b64}`,
    `    backup       : ${b.backend_pins.backup_b64}`,
    `  keys           : ${Object.entries(b.key_storage)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  audit          : ${b.worm_dir ? `WORM copy in ${b.worm_dir}` : 'no WORM copy'}; SIEM ${b.siem.length > 0 ? b.siem.join(' + ') : 'not configured'}`,
  ];
  if (b.first_admin) {
    lines.push(
      '',
      '  First administrator created. This one-time password is shown ONCE and must be changed at first login:',
      `    username     : ${b.first_admin.username}`,
      `    password     : ${b.first_admin.one_time_password}`,
    );
  }
  lines.push(
    '',
    `  check it: curl --cacert ${b.ca_file} --pinnedpubkey 'sha256//${b.backend_pins.primary_b64}' ${b.url}${BACKEND_ROUTES.health.path}`,
  );
  return `${lines.join('\n')}\n`;
}
