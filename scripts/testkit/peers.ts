// Real peers (fwknopd, PostgreSQL, stunnel, OpenVPN...) come from Debian's packages. On a developer
// machine without them a test is skipped with the install hint; in CI (CI=true) or with
// VIWORKS_REQUIRE_PEERS=1 a missing peer is a failure, so a green CI always means the peers ran.
import { accessSync, constants } from 'node:fs';

export interface PeerCheck {
  /** undefined when the peer is usable; otherwise why not, with the fix. */
  readonly skip: string | undefined;
}

export function peersRequired(): boolean {
  return process.env.CI === 'true' || process.env.VIWORKS_REQUIRE_PEERS === '1';
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns `{ skip }` for node:test's `skip` option. Throws when peers are required but missing,
 * so CI fails loudly instead of silently skipping.
 */
export function needPeers(opts: { binaries?: readonly string[]; root?: boolean; apt?: string }): PeerCheck {
  const missing = (opts.binaries ?? []).filter((b) => !executable(b));
  const reasons: string[] = [];
  if (missing.length > 0)
    reasons.push(`missing ${missing.join(', ')} (apt-get install ${opts.apt ?? '...'})`);
  if (opts.root && !isRoot()) reasons.push('needs root (network namespaces)');
  if (reasons.length === 0) return { skip: undefined };
  const why = reasons.join('; ');
  if (peersRequired()) throw new Error(`required test peer unavailable: ${why}`);
  return { skip: why };
}
