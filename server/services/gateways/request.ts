// The request line of one control command (core/gateway/control.ts): `<verb> [arg…]`, checked against
// the verb's grammar BEFORE anything is sent. The node checks again; checking here means a bug in the
// backend shows up as our own internal error, never as something a gateway was asked to parse.

import { ViworksError } from '../../../core/errors/viworks-error.js';
import {
  CONTROL_VERBS,
  type ControlVerb,
  MAX_COMMAND_CHARS,
  MAX_STDIN_BYTES,
  OPTIONAL_TRAILING_ARGS,
} from '../../../core/gateway/control.js';

export interface ControlRequest {
  readonly verb: ControlVerb;
  readonly args: readonly string[];
  /** The verb's stdin document (verbs with `stdin: true` only). Never logged or audited. */
  readonly stdin?: unknown;
}

function invalid(detail: string): ViworksError {
  return new ViworksError('VIW_E_INTERNAL', { details: [`control request: ${detail}`] });
}

export function commandLine(req: ControlRequest): string {
  const spec = CONTROL_VERBS[req.verb];
  if (!spec) throw invalid('unknown verb');
  const optional = OPTIONAL_TRAILING_ARGS[req.verb] ?? 0;
  if (req.args.length > spec.args.length || req.args.length < spec.args.length - optional) {
    throw invalid(`${req.verb}: wrong number of arguments`);
  }
  req.args.forEach((arg, i) => {
    const pattern = spec.args[i];
    if (pattern === undefined || !new RegExp(pattern).test(arg)) {
      throw invalid(`${req.verb}: argument ${i + 1} does not match its grammar`);
    }
  });
  const line = [req.verb, ...req.args].join(' ');
  if (line.length > MAX_COMMAND_CHARS || !/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(line)) {
    throw invalid(`${req.verb}: command line not printable or too long`);
  }
  return line;
}

/** The stdin bytes for the request: the JSON document, or nothing for verbs that read none. */
export function stdinBytes(req: ControlRequest): Buffer {
  const spec = CONTROL_VERBS[req.verb];
  if (!spec.stdin) {
    if (req.stdin !== undefined) throw invalid(`${req.verb} takes no stdin`);
    return Buffer.alloc(0);
  }
  if (req.stdin === undefined) throw invalid(`${req.verb} needs a stdin document`);
  const bytes = Buffer.from(JSON.stringify(req.stdin), 'utf8');
  if (bytes.length > MAX_STDIN_BYTES) throw invalid(`${req.verb}: stdin document too large`);
  return bytes;
}
