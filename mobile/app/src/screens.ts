// The app's screens, each a function of what it shows and what its buttons do. They hold no state
// and call nothing themselves (main.ts wires the actions).
import type { PendingOtp, RevealResponse } from '../../../core/api/mobile.js';
import { BIND_CODE_PATTERN } from './bind.js';
import { button, h, type Parts } from './dom.js';
import type { Problem } from './problem.js';

const problemBox = (p: Problem | undefined) =>
  p
    ? h(
        'div',
        { class: 'problem', role: 'alert', 'data-testid': 'problem' },
        h('strong', {}, p.message),
        p.hint ? h('p', {}, p.hint) : null,
        p.details
          ? h('ul', { 'data-testid': 'problem-details' }, ...p.details.map((d) => h('li', {}, d)))
          : null,
        h('code', { 'data-testid': 'problem-code' }, p.code),
      )
    : null;

export function loadingScreen(): Parts {
  return [h('p', { class: 'muted' }, 'Starting…')];
}

export function unsupportedScreen(why: string): Parts {
  return [
    h('h1', {}, 'This browser cannot be your ViWorkS phone'),
    h('p', {}, why),
    h('p', { class: 'muted' }, 'Use a current Chrome, Safari or Firefox with a screen lock set up.'),
  ];
}

export function bindScreen(o: {
  code: string;
  busy: boolean;
  problem?: Problem;
  onBind: (code: string) => void;
}): Parts {
  const input = h('input', {
    id: 'bind-code',
    'data-testid': 'bind-code',
    inputmode: 'text',
    autocomplete: 'one-time-code',
    autocapitalize: 'characters',
    spellcheck: 'false',
    maxlength: '16',
    placeholder: 'ABCDE-FGHJK',
  }) as HTMLInputElement;
  input.value = o.code;
  const submit = () => {
    const code = input.value.trim();
    if (BIND_CODE_PATTERN.test(code)) o.onBind(code);
    else input.setCustomValidity('10 letters and digits, as your administrator gave them');
    input.reportValidity();
  };
  input.addEventListener('input', () => input.setCustomValidity(''));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') submit();
  });
  const go = button(o.busy ? 'Binding…' : 'Bind this phone', 'bind', submit);
  if (o.busy) go.setAttribute('disabled', '');
  return [
    h('h1', {}, 'Bind this phone'),
    h(
      'p',
      {},
      'Enter the bind code from your administrator. Your phone will ask for your screen lock to create a key that stays on this phone.',
    ),
    h('label', { for: 'bind-code' }, 'Bind code'),
    input,
    go,
    problemBox(o.problem),
  ];
}

export function waitingScreen(o: { userName: string; problem?: Problem; onForget: () => void }): Parts {
  return [
    h('h1', {}, 'Ready'),
    h(
      'p',
      { 'data-testid': 'waiting' },
      `Bound to ${o.userName}. Keep this app open; a sign-in on your desktop appears here.`,
    ),
    problemBox(o.problem),
    h(
      'details',
      {},
      h('summary', {}, 'This phone'),
      button('Forget this phone here', 'forget', o.onForget, 'quiet'),
    ),
  ];
}

const when = (iso: string) => new Date(iso).toLocaleTimeString();

function contextList(p: PendingOtp): HTMLElement {
  const c = p.context;
  const where =
    c.source_network === 'private'
      ? 'private network'
      : [c.country, c.asn ? `AS${c.asn.number}${c.asn.organization ? ` ${c.asn.organization}` : ''}` : null]
          .filter(Boolean)
          .join(' · ');
  const row = (k: string, v: string, id: string) => [h('dt', {}, k), h('dd', { 'data-testid': id }, v)];
  return h(
    'dl',
    { class: 'context' },
    ...row('What', p.purpose === 'login' ? 'Desktop sign-in' : 'New desktop enrollment', 'ctx-purpose'),
    ...row('Desktop', c.device_name ?? c.device_platform, 'ctx-device'),
    ...row('From', `${c.source_ip}${where ? ` (${where})` : ''}`, 'ctx-source'),
    ...row('Asked at', when(c.requested_at), 'ctx-time'),
  );
}

export function loginScreen(o: {
  pending: PendingOtp;
  revealed?: RevealResponse;
  secondsLeft: number;
  busy: boolean;
  problem?: Problem;
  onReveal: () => void;
  onDeny: () => void;
  onDone: () => void;
}): Parts {
  const mine = 'Only approve a sign-in you started yourself.';
  const top = o.revealed
    ? [
        h('p', { class: 'muted' }, 'Type this code on your desktop'),
        h('output', { class: 'code', 'data-testid': 'otp-code' }, o.revealed.code),
        h('p', { class: 'countdown', 'data-testid': 'countdown' }, `${o.secondsLeft} s left`),
      ]
    : [
        h('h1', {}, 'Is this you?'),
        h('p', { class: 'countdown', 'data-testid': 'countdown' }, `${o.secondsLeft} s left · ${mine}`),
      ];
  const actions = o.revealed
    ? [button('Done', 'done', o.onDone, 'quiet'), button('Deny', 'deny', o.onDeny, 'danger')]
    : [
        button(o.busy ? 'Verifying…' : 'Yes, show the code', 'reveal', o.onReveal),
        button('No, deny', 'deny', o.onDeny, 'danger'),
      ];
  if (o.busy) for (const a of actions) a.setAttribute('disabled', '');
  return [...top, contextList(o.pending), h('div', { class: 'actions' }, ...actions), problemBox(o.problem)];
}

export function deniedScreen(onBack: () => void): Parts {
  return [
    h('h1', { 'data-testid': 'denied' }, 'Sign-in denied'),
    h('p', {}, 'The desktop was told at once. If you did not start it, tell your administrator.'),
    button('Back', 'back', onBack, 'quiet'),
  ];
}
