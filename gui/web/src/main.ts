// The desktop GUI: the daemon's state as it changes (one event stream, no polling), the login
// dialogue (password → phone code → maybe a new password), connect and disconnect with the
// specification's steps, enrollment, and the daemon's log. Secrets live only in the form fields and
// the one request that carries them.
import type { Status } from '../../../core/api/local.js';
import { type ApiError, api, GuiApiError, type LogLine, openEvents } from './api.js';
import { bindLinkFor, qrSvg } from './bind-qr.js';
import { button, type Child, field, fileText, h, mount } from './dom.js';
import { codeScreen, daemonDown, enrollScreen, passwordScreen, statusScreen } from './screens.js';

type Flow = 'none' | 'password' | 'otp' | 'new-password' | 'enroll-otp';

let status: Status | null = null;
let daemon: ApiError | null | 'up' = 'up';
let flow: Flow = 'none';
let busy = false;
let problem: ApiError | null = null;
let otpExpiresAt: string | null = null;
const logLines: HTMLElement[] = [];

const asProblem = (e: unknown): ApiError =>
  e instanceof GuiApiError
    ? e.body
    : { code: 'VIW_E_INTERNAL', message: String((e as Error)?.message ?? e), hint: '' };
const secondsLeft = () =>
  otpExpiresAt ? Math.max(0, Math.ceil((Date.parse(otpExpiresAt) - Date.now()) / 1000)) : null;

/** What the window shows now. */
function screen(): Child[] {
  if (daemon !== 'up' && !status) return daemonDown(daemon);
  if (!status) return [h('p', { class: 'muted' }, 'Connecting to the daemon…')];
  const common = { busy, problem };
  switch (flow) {
    case 'password':
      return passwordScreen({ ...common, title: 'Log in', testId: 'password', onPassword: login });
    case 'new-password':
      return passwordScreen({
        ...common,
        title: 'Your password is a one-time password: choose a new one (12+ characters)',
        testId: 'new-password',
        onPassword: newPassword,
      });
    case 'otp':
      return codeScreen({
        ...common,
        title: 'Enter the code from your phone',
        secondsLeft: secondsLeft(),
        onCode: code,
      });
    case 'enroll-otp':
      return codeScreen({
        ...common,
        title: 'Confirm this enrollment',
        secondsLeft: secondsLeft(),
        onCode: enrollCode,
      });
    default:
      if (!status.device) return enrollScreen({ ...common, onEnroll: enroll });
      return statusScreen({
        ...common,
        status,
        onConnect: connect,
        onDisconnect: disconnect,
      });
  }
}

function draw(): void {
  mount('app', ...screen());
}

async function step(run: () => Promise<void>): Promise<void> {
  busy = true;
  problem = null;
  draw();
  try {
    await run();
  } catch (e) {
    problem = asProblem(e);
  }
  busy = false;
  draw();
}

function connect(): void {
  void step(async () => {
    try {
      await api.connect();
    } catch (e) {
      if (e instanceof GuiApiError && e.body.code === 'VIW_E_AUTH_REQUIRED') flow = 'password';
      else throw e;
    }
  });
}

function login(password: string): void {
  void step(async () => {
    const r = await api.login(password);
    otpExpiresAt = r.otp_expires_at;
    flow = 'otp';
  });
}

function code(otp: string): void {
  void step(async () => {
    const r = await api.otp(otp);
    otpExpiresAt = null;
    if (r.password_change_required) {
      flow = 'new-password';
      return;
    }
    flow = 'none';
    draw();
    await api.connect();
  });
}

function newPassword(pw: string): void {
  void step(async () => {
    await api.password(pw);
    flow = 'password';
    problem = {
      code: 'VIW_I_PASSWORD_CHANGED',
      message: 'Password changed: log in with the new one.',
      hint: '',
    };
  });
}

function disconnect(): void {
  void step(async () => {
    await api.disconnect();
  });
}

function enroll(f: Parameters<Parameters<typeof enrollScreen>[0]['onEnroll']>[0]): void {
  void step(async () => {
    const ca = await fileText(f.caFile);
    if (!ca)
      throw new GuiApiError({ code: 'VIW_E_VALIDATION', message: "Pick the backend's CA file", hint: '' });
    const token = (await fileText(f.tokenFile))?.trim();
    const r = await api.enroll({
      backend_url: f.backend_url,
      backend_pins: { primary_b64: f.primary, backup_b64: f.backup },
      ca_pem: ca,
      username: f.username,
      password: f.password,
      ...(token ? { enrollment_token: token } : {}),
    });
    if (r.enroll_state === 'otp_required') {
      otpExpiresAt = r.otp_expires_at;
      flow = 'enroll-otp';
    }
  });
}

function enrollCode(otp: string): void {
  void step(async () => {
    await api.enrollConfirm(otp);
    otpExpiresAt = null;
    flow = 'none';
  });
}

function addLog(l: LogLine): void {
  const line = h(
    'li',
    { class: `log-${l.level}` },
    `${new Date(l.at).toLocaleTimeString()} ${l.level.toUpperCase()} ${l.msg}`,
  );
  logLines.push(line);
  if (logLines.length > 200) logLines.shift();
  mount('log', ...logLines);
}

/** The bind panel: paste the link or code IT sent; the phone scans the QR code. */
function bindPanel(): void {
  const pasted = field('Bind link or code from your IT department', 'bind-input', { spellcheck: 'false' });
  const out = h('div', { class: 'qr' });
  const show = button('Show QR code', 'bind-show', () => {
    const link = bindLinkFor(pasted.input.value, status?.device?.backend_url ?? null);
    out.replaceChildren(
      link
        ? qrSvg(link)
        : h(
            'p',
            { class: 'problem', 'data-testid': 'bind-invalid' },
            'That is not a ViWorkS bind link or code.',
          ),
    );
    if (link)
      out.append(h('p', { class: 'muted' }, 'Scan it with your phone’s camera, then follow the app.'));
  });
  const panel = document.getElementById('bind-phone');
  panel?.append(pasted.node, show, out);
}

bindPanel();

openEvents({
  status(s) {
    const first = status === null || daemon !== 'up';
    status = s;
    daemon = 'up';
    if (s.state === 'otp_pending' && s.otp_expires_at) otpExpiresAt = s.otp_expires_at;
    // Forms keep what was typed: only the status screen redraws on every change.
    if (first || flow === 'none') draw();
  },
  log: addLog,
  down(e) {
    daemon = e;
    status = null;
    draw();
  },
});

// The code's countdown ticks in place, without redrawing the form being typed in.
setInterval(() => {
  const el = document.querySelector('[data-testid="otp-countdown"]');
  const left = secondsLeft();
  if (el && left !== null) el.textContent = `${left} s left`;
}, 1_000);

draw();
