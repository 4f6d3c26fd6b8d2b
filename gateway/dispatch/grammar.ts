// The only parser of SSH_ORIGINAL_COMMAND. It never splits like a shell: the line must be the verb
// and its arguments separated by exactly one space, printable ASCII only, and each argument must
// match its verb's regex in the fixed contract (core/gateway/control.ts). Anything else is refused
// before any file is touched.
import {
  CONTROL_VERBS,
  type ControlVerb,
  MAX_COMMAND_CHARS,
  OPTIONAL_TRAILING_ARGS,
} from '../../core/gateway/control.js';

export type ParsedRequest =
  | { readonly ok: true; readonly verb: ControlVerb; readonly args: readonly string[] }
  | {
      readonly ok: false;
      /** VIW_E_FORBIDDEN: not an allowlisted verb (or a shell); VIW_E_VALIDATION: bad grammar. */
      readonly code: 'VIW_E_FORBIDDEN' | 'VIW_E_VALIDATION';
      readonly reason: string;
    };

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const compiled = new Map<string, RegExp>();
const regex = (pattern: string): RegExp => {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern);
    compiled.set(pattern, re);
  }
  return re;
};

export function isControlVerb(word: string): word is ControlVerb {
  return Object.hasOwn(CONTROL_VERBS, word);
}

/** `line` is SSH_ORIGINAL_COMMAND, undefined for a shell request. */
export function parseRequestLine(line: string | undefined): ParsedRequest {
  if (line === undefined || line === '') {
    return { ok: false, code: 'VIW_E_FORBIDDEN', reason: 'invalid request: no command (shell refused)' };
  }
  if (line.length > MAX_COMMAND_CHARS) {
    return { ok: false, code: 'VIW_E_VALIDATION', reason: 'invalid request: command too long' };
  }
  if (!PRINTABLE_ASCII.test(line)) {
    return { ok: false, code: 'VIW_E_VALIDATION', reason: 'invalid request: non-printable characters' };
  }
  const words = line.split(' ');
  if (words.some((w) => w === '')) {
    return { ok: false, code: 'VIW_E_VALIDATION', reason: 'invalid request: words must be single-spaced' };
  }
  const [verb = '', ...args] = words;
  if (!isControlVerb(verb)) {
    return { ok: false, code: 'VIW_E_FORBIDDEN', reason: 'invalid request: verb not allowlisted' };
  }
  const grammar: readonly string[] = CONTROL_VERBS[verb].args;
  const minArgs = grammar.length - (OPTIONAL_TRAILING_ARGS[verb] ?? 0);
  if (args.length < minArgs || args.length > grammar.length) {
    return {
      ok: false,
      code: 'VIW_E_VALIDATION',
      reason: `invalid request: wrong argument count for ${verb}`,
    };
  }
  for (const [i, arg] of args.entries()) {
    if (!regex(grammar[i] ?? '$.').test(arg)) {
      return { ok: false, code: 'VIW_E_VALIDATION', reason: `invalid request: argument ${i + 1} of ${verb}` };
    }
  }
  return { ok: true, verb, args };
}
