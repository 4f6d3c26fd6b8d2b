// The GUI's screens: functions of what they show and what their buttons do; no state, no calls.
import type { Status } from '../../../core/api/local.js';
import { connectSteps } from '../../../core/localclient/steps.js';
import type { ApiError } from './api.js';
import { button, type Child, field, h } from './dom.js';

export function problemBox(p: ApiError | null | undefined): Child {
  if (!p) return null;
  const copy = button('Copy code', 'copy-code', () => void navigator.clipboard?.writeText(p.code), 'quiet');
  return h(
    'div',
    { class: 'problem', role: 'alert', 'data-testid': 'problem' },
    h('strong', {}, p.message),
    p.hint ? h('p', {}, p.hint) : null,
    h('code', { 'data-testid': 'problem-code' }, p.code),
    copy,
  );
}

export function daemonDown(p: ApiError | null): Child[] {
  return [
    h('h1', { 'data-testid': 'daemon-down' }, 'The ViWorkS daemon is not running'),
    h(
      'p',
      {},
      'Start it (sudo systemctl start viworksd, or viworks daemon install once), then this page reconnects.',
    ),
    problemBox(p),
  ];
}

export interface EnrollForm {
  onEnroll(form: {
    backend_url: string;
    primary: string;
    backup: string;
    caFile: HTMLInputElement;
    username: string;
    password: string;
    tokenFile: HTMLInputElement;
  }): void;
}

export function enrollScreen(o: EnrollForm & { busy: boolean; problem?: ApiError | null }): Child[] {
  const url = field('Backend URL', 'enroll-url', {
    type: 'url',
    placeholder: 'https://backend.example:8443',
  });
  const primary = field('Backend pin (primary)', 'enroll-pin-primary', { spellcheck: 'false' });
  const backup = field('Backend pin (backup)', 'enroll-pin-backup', { spellcheck: 'false' });
  const ca = field("Backend's root CA (PEM file)", 'enroll-ca', { type: 'file', accept: '.pem,.crt' });
  const user = field('Username', 'enroll-username', { autocomplete: 'username' });
  const pass = field('Password', 'enroll-password', { type: 'password', autocomplete: 'current-password' });
  const token = field('Fleet enrollment token file (optional)', 'enroll-token', { type: 'file' });
  const go = button(o.busy ? 'Enrolling…' : 'Enroll this computer', 'enroll', () =>
    o.onEnroll({
      backend_url: url.input.value.trim(),
      primary: primary.input.value.trim(),
      backup: backup.input.value.trim(),
      caFile: ca.input,
      username: user.input.value.trim(),
      password: pass.input.value,
      tokenFile: token.input,
    }),
  );
  if (o.busy) go.setAttribute('disabled', '');
  return [
    h('h1', {}, 'Enroll this computer'),
    h(
      'p',
      {},
      'Your IT department gives you the backend address, its two pins and its CA file, and possibly a fleet token file.',
    ),
    url.node,
    primary.node,
    backup.node,
    ca.node,
    user.node,
    pass.node,
    token.node,
    go,
    problemBox(o.problem),
  ];
}

export function codeScreen(o: {
  title: string;
  secondsLeft: number | null;
  busy: boolean;
  problem?: ApiError | null;
  onCode(code: string): void;
}): Child[] {
  const code = field('6-digit code from your phone', 'otp-code', {
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    maxlength: '6',
    pattern: '[0-9]{6}',
  });
  const send = () => o.onCode(code.input.value.trim());
  code.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') send();
  });
  const go = button(o.busy ? 'Checking…' : 'Verify', 'otp-submit', send);
  if (o.busy) go.setAttribute('disabled', '');
  return [
    h('h1', {}, o.title),
    h('p', {}, 'Open the ViWorkS app on your phone, confirm it is you, and type the code it shows.'),
    o.secondsLeft !== null
      ? h('p', { class: 'countdown', 'data-testid': 'otp-countdown' }, `${o.secondsLeft} s left`)
      : null,
    code.node,
    go,
    problemBox(o.problem),
  ];
}

export function passwordScreen(o: {
  title: string;
  testId: string;
  busy: boolean;
  problem?: ApiError | null;
  onPassword(pw: string): void;
}): Child[] {
  const pw = field('Password', o.testId, { type: 'password', autocomplete: 'current-password' });
  const send = () => o.onPassword(pw.input.value);
  pw.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') send();
  });
  const go = button(o.busy ? 'Working…' : 'Continue', `${o.testId}-submit`, send);
  if (o.busy) go.setAttribute('disabled', '');
  return [h('h1', {}, o.title), pw.node, go, problemBox(o.problem)];
}

/**
 * The spec's six connect steps, derived from the Status like every front-end's
 * (core/localclient/steps.ts); while resting none is shown done, though the last connect's timings
 * stay on the Status.
 */
function stepList(s: Status): HTMLElement {
  const resting = s.state === 'enrolled' || s.state === 'idle';
  return h(
    'ol',
    { class: 'steps', 'data-testid': 'steps' },
    ...connectSteps(s).map((step, i) => {
      const done = !resting && step.mark === 'done';
      return h(
        'li',
        { class: done ? 'done' : 'todo', 'data-testid': `step-${i}` },
        `${done ? '✓' : '·'} ${step.label}`,
      );
    }),
  );
}

type Browser = NonNullable<Status['session']>['browser'];

/** The viewer's URL when it can be a link: http(s) only (a `javascript:` href would run here). */
function viewerHref(url: string): string | null {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * The session's isolated browser (issue #18; `viworks open` in the CLI): each target a link to its
 * viewer on the gateway. The viewer's URL holds a random path that works as a key, so it is only
 * ever a link's href, opened in a new window with no opener and no Referer: never this page's own
 * URL, never logged.
 */
function browserTargets(b: Browser): Child[] {
  if (!b || b.targets.length === 0) return [];
  const href = viewerHref(b.viewer_url);
  const link = (target: string) =>
    href
      ? h(
          'a',
          {
            href,
            target: '_blank',
            rel: 'noopener noreferrer',
            referrerpolicy: 'no-referrer',
            'data-testid': 'browser-target',
          },
          target,
        )
      : h('span', { 'data-testid': 'browser-target' }, target);
  return [
    h('dt', {}, 'Browser targets'),
    h('dd', { class: 'targets', 'data-testid': 'browser-targets' }, ...b.targets.map(link)),
  ];
}

const kib = (n: number) =>
  n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;

export function statusScreen(o: {
  status: Status;
  busy: boolean;
  problem?: ApiError | null;
  onConnect(): void;
  onDisconnect(): void;
}): Child[] {
  const s = o.status;
  const connected = s.state === 'connected';
  const leaving = s.state === 'disconnecting';
  const working = !leaving && !['enrolled', 'connected', 'error', 'idle'].includes(s.state);
  const action =
    connected || leaving
      ? button(leaving ? 'Disconnecting…' : 'Disconnect', 'disconnect', o.onDisconnect, 'danger')
      : button(working ? 'Connecting…' : 'Connect', 'connect', o.onConnect);
  if (o.busy || working || leaving) action.setAttribute('disabled', '');
  const t = s.timings;
  const headline = connected
    ? 'Connected'
    : leaving
      ? 'Disconnecting'
      : working
        ? 'Connecting'
        : 'Not connected';
  return [
    h('h1', { 'data-testid': 'state' }, headline),
    s.device ? h('p', { class: 'muted' }, `${s.device.username} · device ${s.device.device_id}`) : null,
    s.device?.status === 'pending_approval'
      ? h(
          'p',
          { 'data-testid': 'pending-approval' },
          'This computer waits for an administrator’s approval before it can connect.',
        )
      : null,
    stepList(s),
    connected && s.session
      ? h(
          'dl',
          { class: 'facts', 'data-testid': 'session' },
          h('dt', {}, 'Gateway'),
          h('dd', {}, s.session.gateway_fqdn),
          h('dt', {}, 'Address'),
          h('dd', { 'data-testid': 'virtual-ip' }, s.session.virtual_ip ?? '—'),
          ...browserTargets(s.session.browser),
          h('dt', {}, 'Until'),
          h('dd', {}, new Date(s.session.expires_at).toLocaleString()),
          h('dt', {}, 'Traffic'),
          h(
            'dd',
            { 'data-testid': 'traffic' },
            s.traffic ? `↓ ${kib(s.traffic.bytes_in)} · ↑ ${kib(s.traffic.bytes_out)}` : '—',
          ),
          h('dt', {}, 'Connect time'),
          h('dd', {}, t.total_connect_ms !== null ? `${Math.round(t.total_connect_ms)} ms` : '—'),
        )
      : null,
    h('div', { class: 'actions' }, action),
    problemBox(o.problem ?? (s.state === 'error' ? s.last_error : null)),
  ];
}
