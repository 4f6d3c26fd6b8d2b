import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestLine } from './grammar.js';

const D = `d-${'a'.repeat(32)}`;
const S = `s-${'0123456789abcdef'.repeat(2)}`;

const accepted: [string, string, string[]][] = [
  ['health', 'health', []],
  [`spa_key_add ${D}`, 'spa_key_add', [D]],
  [`spa_key_remove ${D}`, 'spa_key_remove', [D]],
  [`vpn_user_create ${S}`, 'vpn_user_create', [S]],
  [`update_ccd ${S}`, 'update_ccd', [S]],
  [`session_filter ${S}`, 'session_filter', [S]],
  [`terminate_session ${S}`, 'terminate_session', [S]],
  ['crl_update', 'crl_update', []],
  ['apply_config', 'apply_config', []],
  ['pull_logs audit 10', 'pull_logs', ['audit', '10']],
  ['pull_logs audit 5000 123', 'pull_logs', ['audit', '5000', '123']],
  ['pull_logs openvpn 1', 'pull_logs', ['openvpn', '1']],
];

for (const [line, verb, args] of accepted) {
  test(`accepts: ${line.slice(0, 40)}`, () => {
    assert.deepEqual(parseRequestLine(line), { ok: true, verb, args });
  });
}

const refused: [string, string | undefined, 'VIW_E_FORBIDDEN' | 'VIW_E_VALIDATION'][] = [
  ['shell request (no command)', undefined, 'VIW_E_FORBIDDEN'],
  ['empty command', '', 'VIW_E_FORBIDDEN'],
  ['unknown verb', 'rm -rf /', 'VIW_E_FORBIDDEN'],
  ['prototype key as verb', 'constructor', 'VIW_E_FORBIDDEN'],
  ['verb case changed', 'HEALTH', 'VIW_E_FORBIDDEN'],
  ['old sketch verb', `vpn_user_passwd ${S}`, 'VIW_E_FORBIDDEN'],
  ['double space', `spa_key_add  ${D}`, 'VIW_E_VALIDATION'],
  ['leading space', ' health', 'VIW_E_VALIDATION'],
  ['trailing space', 'health ', 'VIW_E_VALIDATION'],
  ['tab separator', `spa_key_add\t${D}`, 'VIW_E_VALIDATION'],
  ['newline', 'health\nhealth', 'VIW_E_VALIDATION'],
  ['unicode', `spa_key_add d-${'a'.repeat(31)}é`, 'VIW_E_VALIDATION'],
  ['semicolon in argument', `spa_key_add ${D};id`, 'VIW_E_VALIDATION'],
  ['command substitution', `spa_key_add $(id)`, 'VIW_E_VALIDATION'],
  ['semicolon after verb', 'health;id', 'VIW_E_FORBIDDEN'],
  ['too long', `health ${'a'.repeat(300)}`, 'VIW_E_VALIDATION'],
  ['extra argument', `health x`, 'VIW_E_VALIDATION'],
  ['missing argument', 'spa_key_add', 'VIW_E_VALIDATION'],
  ['too many arguments', 'pull_logs audit 10 1 2', 'VIW_E_VALIDATION'],
  ['pull_logs without max', 'pull_logs audit', 'VIW_E_VALIDATION'],
  // 'pull_logs audit 5001' passes the contract's regex (it admits 1..9999): the verb refuses it.
  ['pull_logs five digits', 'pull_logs audit 10000', 'VIW_E_VALIDATION'],
  ['pull_logs zero', 'pull_logs audit 0', 'VIW_E_VALIDATION'],
  ['pull_logs unknown source', 'pull_logs syslog 10', 'VIW_E_VALIDATION'],
  ['device id uppercase', `spa_key_add d-${'A'.repeat(32)}`, 'VIW_E_VALIDATION'],
  ['session id for device verb', `spa_key_add ${S}`, 'VIW_E_VALIDATION'],
  ['path traversal', 'terminate_session ../../etc/passwd', 'VIW_E_VALIDATION'],
  ['session_filter without a session', 'session_filter', 'VIW_E_VALIDATION'],
  ['session_filter of a device', `session_filter ${D}`, 'VIW_E_VALIDATION'],
  ['session_filter with a network argument', `session_filter ${S} 10.0.0.0/8`, 'VIW_E_VALIDATION'],
];

for (const [name, line, code] of refused) {
  test(`refuses: ${name}`, () => {
    const r = parseRequestLine(line);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.code, code);
    assert.match(r.reason, /invalid/);
  });
}
