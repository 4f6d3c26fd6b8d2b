// Opening a PKCS#11 token: the module (loaded and initialized once per process, however many users
// it has: a second C_Initialize answers CKR_CRYPTOKI_ALREADY_INITIALIZED and one user's C_Finalize
// would close everybody's sessions), the slot whose token carries the configured label, one
// read-write session and the user login. Errors name the setting to fix, never the PIN.
import * as graphene from 'graphene-pk11';
import pkcs11 from 'pkcs11js';
import { ViworksError } from '../../../core/errors/viworks-error.js';

/** The `hsm` setting (server/config.ts). */
export interface HsmSettings {
  readonly module: string;
  readonly tokenLabel: string;
  readonly pinFile: string;
}

export interface TokenSession {
  readonly session: graphene.Session;
  readonly token: graphene.Token;
  close(): void;
}

/** The PKCS#11 return value's name (CKR_…) when err is a PKCS#11 error. */
export function pkcs11Code(err: unknown): string | undefined {
  if (!(err instanceof pkcs11.Pkcs11Error)) return undefined;
  const name = Object.entries(pkcs11).find(([k, v]) => k.startsWith('CKR_') && v === err.code)?.[0];
  return name ?? `CKR 0x${err.code.toString(16)}`;
}

const loaded = new Map<string, { module: graphene.Module; users: number }>();

function acquireModule(path: string): graphene.Module {
  const entry = loaded.get(path);
  if (entry) {
    entry.users++;
    return entry.module;
  }
  let module: graphene.Module;
  try {
    module = graphene.Module.load(path, 'viworks');
  } catch (cause) {
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`hsm.module: cannot load the PKCS#11 module ${path}`],
      cause,
    });
  }
  try {
    module.initialize();
  } catch (cause) {
    if (!(cause instanceof pkcs11.Pkcs11Error && cause.code === pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
      module.close();
      throw new ViworksError('VIW_E_CONFIG', {
        details: [`hsm.module: ${path} failed to initialize (${pkcs11Code(cause) ?? 'error'})`],
        cause,
      });
    }
  }
  loaded.set(path, { module, users: 1 });
  return module;
}

function releaseModule(path: string): void {
  const entry = loaded.get(path);
  if (!entry || --entry.users > 0) return;
  loaded.delete(path);
  try {
    entry.module.finalize();
  } finally {
    entry.module.close();
  }
}

function findSlot(module: graphene.Module, settings: HsmSettings): graphene.Slot {
  const slots = module.getSlots(true);
  const labels: string[] = [];
  const matches: graphene.Slot[] = [];
  for (let i = 0; i < slots.length; i++) {
    const slot = slots.items(i);
    const token = slot.getToken();
    if (!(token.flags & graphene.TokenFlag.TOKEN_INITIALIZED)) continue;
    const label = token.label.trim();
    labels.push(label);
    if (label === settings.tokenLabel) matches.push(slot);
  }
  if (matches.length !== 1) {
    const why = matches.length === 0 ? 'no token labelled' : 'more than one token labelled';
    throw new ViworksError('VIW_E_CONFIG', {
      details: [
        `hsm.tokenLabel: ${why} "${settings.tokenLabel}" in ${settings.module}`,
        `tokens present: ${labels.length > 0 ? labels.slice(0, 8).join(', ') : 'none'}`,
      ],
    });
  }
  return matches[0]!;
}

function login(session: graphene.Session, pin: Buffer, settings: HsmSettings): void {
  try {
    // pkcs11js takes the PIN only as a JS string, which cannot be wiped; the Buffer is (by the caller).
    session.login(pin.toString('utf8'), graphene.UserType.USER);
  } catch (cause) {
    if (cause instanceof pkcs11.Pkcs11Error && cause.code === pkcs11.CKR_USER_ALREADY_LOGGED_IN) return;
    throw new ViworksError('VIW_E_CONFIG', {
      details: [
        `hsm.pinFile: token "${settings.tokenLabel}" refused the login (${pkcs11Code(cause) ?? 'error'})`,
      ],
    });
  }
}

/** Opens a logged-in read-write session on the configured token. */
export function openTokenSession(settings: HsmSettings, pin: Buffer): TokenSession {
  const module = acquireModule(settings.module);
  let session: graphene.Session | undefined;
  try {
    const slot = findSlot(module, settings);
    session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    login(session, pin, settings);
    const opened = session;
    const token = slot.getToken();
    let closed = false;
    return {
      session: opened,
      token,
      close() {
        if (closed) return;
        closed = true;
        try {
          opened.close();
        } finally {
          releaseModule(settings.module);
        }
      },
    };
  } catch (err) {
    // Best effort: the error that stopped the opening is the one to report.
    try {
      session?.close();
    } catch {}
    try {
      releaseModule(settings.module);
    } catch {}
    throw err;
  }
}
