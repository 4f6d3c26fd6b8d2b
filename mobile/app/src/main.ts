// The ViWorkS phone app: bind once, then wait for a desktop's sign-in and show its code after the
// person passes the phone's user verification — or deny it. One screen at a time; the state lives
// here, the screens only draw it (screens.ts).
import { browserSupportsWebAuthn, platformAuthenticatorIsAvailable } from '@simplewebauthn/browser';
import type { PendingOtp, RevealResponse } from '../../../core/api/mobile.js';
import { bindThisPhone } from './bind.js';
import { denyLogin, pendingLogin, revealCode } from './codes.js';
import { show } from './dom.js';
import { type BoundPhone, forgetBoundPhone, loadBoundPhone } from './identity.js';
import { type Problem, problemOf } from './problem.js';
import {
  bindScreen,
  deniedScreen,
  loadingScreen,
  loginScreen,
  unsupportedScreen,
  waitingScreen,
} from './screens.js';

/** The long-poll the server holds open while nothing waits (it caps at 25 s). */
const LONG_POLL_S = 25;
/** Pause after a failed poll, so a backend outage is not hammered. */
const RETRY_MS = 5_000;

interface Login {
  pending: PendingOtp;
  revealed?: RevealResponse;
  busy: boolean;
  problem?: Problem;
}

let phone: BoundPhone | null = null;
let login: Login | null = null;
/** Logins this phone already answered or put aside; not shown again while they stay pending. */
const settled = new Set<string>();
let ticker: ReturnType<typeof setInterval> | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secondsLeft = (iso: string) => Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 1000));

function drawLogin(): void {
  if (!phone || !login) return;
  const l = login;
  const expires = l.revealed?.expires_at ?? l.pending.expires_at;
  show(
    ...loginScreen({
      pending: l.pending,
      ...(l.revealed ? { revealed: l.revealed } : {}),
      secondsLeft: secondsLeft(expires),
      busy: l.busy,
      ...(l.problem ? { problem: l.problem } : {}),
      onReveal: () => void reveal(l),
      onDeny: () => void deny(l),
      onDone: () => closeLogin(l),
    }),
  );
}

function drawWaiting(problem?: Problem): void {
  if (!phone) return;
  show(...waitingScreen({ userName: phone.userName, ...(problem ? { problem } : {}), onForget: forget }));
}

function openLogin(pending: PendingOtp): void {
  login = { pending, busy: false };
  drawLogin();
  ticker = setInterval(() => {
    if (!login) return;
    const expires = login.revealed?.expires_at ?? login.pending.expires_at;
    if (secondsLeft(expires) === 0) closeLogin(login);
    else drawLogin();
  }, 1_000);
}

function closeLogin(l: Login): void {
  if (login !== l) return;
  settled.add(l.pending.txn_id);
  login = null;
  clearInterval(ticker);
  drawWaiting();
}

async function reveal(l: Login): Promise<void> {
  if (!phone || l.busy) return;
  l.busy = true;
  delete l.problem;
  drawLogin();
  try {
    l.revealed = await revealCode(phone, l.pending);
  } catch (e) {
    l.problem = problemOf(e);
  }
  l.busy = false;
  if (login === l) drawLogin();
}

async function deny(l: Login): Promise<void> {
  if (!phone || l.busy) return;
  l.busy = true;
  drawLogin();
  try {
    await denyLogin(phone, l.pending.txn_id);
    settled.add(l.pending.txn_id);
    login = null;
    clearInterval(ticker);
    show(...deniedScreen(() => drawWaiting()));
  } catch (e) {
    l.busy = false;
    l.problem = problemOf(e);
    drawLogin();
  }
}

async function forget(): Promise<void> {
  await forgetBoundPhone();
  phone = null;
  drawBind('');
}

/** Waits for sign-ins while the app is open and visible; one request at a time. */
async function watch(): Promise<void> {
  for (;;) {
    if (!phone) return;
    if (document.hidden || login) {
      await sleep(1_000);
      continue;
    }
    try {
      const p = await pendingLogin(phone, LONG_POLL_S);
      if (p && !settled.has(p.txn_id) && !login) openLogin(p);
      else if (p) await sleep(RETRY_MS); // still the one already answered: let it end first
    } catch (e) {
      if (!login) drawWaiting(problemOf(e));
      await sleep(RETRY_MS);
    }
  }
}

function drawBind(code: string, busy = false, problem?: Problem): void {
  show(
    ...bindScreen({
      code,
      busy,
      ...(problem ? { problem } : {}),
      onBind: (c) => void bind(c),
    }),
  );
}

async function bind(code: string): Promise<void> {
  drawBind(code, true);
  try {
    phone = await bindThisPhone(code);
    drawWaiting();
    void watch();
  } catch (e) {
    drawBind(code, false, problemOf(e));
  }
}

interface TrustedTypesFactory {
  createPolicy(
    name: string,
    rules: { createScriptURL(url: string): string },
  ): {
    createScriptURL(url: string): unknown;
  };
}

/**
 * The service worker's URL. The page's CSP requires Trusted Types for script URLs and allows one
 * policy, `viworks-sw`, which lets through exactly this worker and nothing else.
 */
function workerUrl(): string {
  const tt = (globalThis as { trustedTypes?: TrustedTypesFactory }).trustedTypes;
  if (!tt) return 'sw.js';
  const policy = tt.createPolicy('viworks-sw', {
    createScriptURL: (url) => {
      if (url !== 'sw.js') throw new TypeError("only the app's own service worker");
      return url;
    },
  });
  // A TrustedScriptURL; register() takes it where the DOM's types say string.
  return policy.createScriptURL('sw.js') as string;
}

/** The bind link carries its code in the fragment (#bind=…), which never reaches a server log. */
function bindCodeFromLink(): string {
  const m = /^#bind=([A-Za-z0-9-]{10,16})$/.exec(location.hash);
  if (location.hash) history.replaceState(null, '', location.pathname);
  return m?.[1] ?? '';
}

async function start(): Promise<void> {
  show(...loadingScreen());
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(workerUrl(), { scope: './' }).catch(() => undefined);
  }
  if (!browserSupportsWebAuthn() || !(await platformAuthenticatorIsAvailable())) {
    show(
      ...unsupportedScreen('It has no platform authenticator (a screen lock with fingerprint, face or PIN).'),
    );
    return;
  }
  const fromLink = bindCodeFromLink();
  phone = await loadBoundPhone();
  if (!phone || fromLink) {
    drawBind(fromLink);
    return;
  }
  drawWaiting();
  void watch();
}

void start();
