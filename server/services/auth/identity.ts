// What the identity services (login, OTP, enrollment, phone) share, built once per AppContext so
// the auth, device and mobile route plugins use the same transaction store (and its wake-ups).
import type { AppContext } from '../../context.js';
import type { Db } from '../../data/client.js';
import type { KvStore } from '../../kv/kv-store.js';
import { type Admission, admitLogin } from '../policy/admission.js';
import { LoginTxns } from './login-txns.js';
import { type OtpKeys, otpKeys } from './otp-codes.js';

export interface IdentityDeps {
  readonly db: Db;
  readonly kv: KvStore;
  readonly txns: LoginTxns;
  readonly otpKeys: OtpKeys;
  readonly now: () => Date;
  /** The access policy's check at login, before any code is issued (services/policy/admission.ts). */
  readonly admit: (i: Parameters<typeof admitLogin>[1]) => Promise<Admission>;
  /** Tells the session watcher a user's posture changed (a phone bound: attested or not). */
  readonly postureChanged: (reason: string) => void;
}

const built = new WeakMap<AppContext, IdentityDeps>();

export function identityDeps(ctx: AppContext): IdentityDeps {
  let deps = built.get(ctx);
  if (!deps) {
    const keys = otpKeys(ctx.secrets.otpHmacKey);
    deps = {
      db: ctx.db,
      kv: ctx.kv,
      txns: new LoginTxns(ctx.kv, keys, () => ctx.now().getTime()),
      otpKeys: keys,
      now: ctx.now,
      admit: (i) => admitLogin(ctx, i),
      postureChanged: (reason) => ctx.policyWatch.changed(reason),
    };
    built.set(ctx, deps);
  }
  return deps;
}
