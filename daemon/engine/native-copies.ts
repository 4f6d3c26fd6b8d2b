// OpenSSL keeps its own parsed copy of the session's client key (the P-256 scalar, as BIGNUM limbs)
// inside the TLS proxy's SecureContext, and frees it — cleared, BN_clear_free — only when V8
// collects that context's JavaScript wrapper. Left to itself V8 may not do that for minutes on an
// idle daemon, so the key would outlive the session it belonged to (the lab's memory scan saw it).
// After a teardown the engine asks for full collections, once the session's last references (its
// restart loop, monitors, the proxy's closures) have unwound. `gc` is not exposed to the daemon by
// default; the V8 flag is set at run time and the function taken from a fresh context, once.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    gc = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    gc = null;
  }
  return gc;
}

/**
 * Collects what the ended session dropped, so native copies of its keys are freed (and cleared)
 * now. Two rounds a macrotask apart: the first runs the contexts' weak callbacks, which queue the
 * native frees; the second collects anything those released. False when V8 would not expose gc.
 */
export async function releaseNativeCopies(): Promise<boolean> {
  const run = collector();
  if (!run) return false;
  run();
  await new Promise((resolve) => setImmediate(resolve));
  run();
  return true;
}

/** When a teardown has settled: long enough for the session's async frames to have returned. */
const SETTLE_MS = 250;

let scheduled = false;

/**
 * releaseNativeCopies once the caller has unwound (timer unref'd: never holds the daemon up). Calls
 * while one is pending join it: a burst of signatures costs one pair of collections.
 */
export function releaseNativeCopiesSoon(onUnavailable: () => void = () => undefined): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    void releaseNativeCopies().then((ok) => {
      if (!ok) onUnavailable();
    });
  }, SETTLE_MS).unref();
}
