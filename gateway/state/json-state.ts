// Small JSON state files in state_dir (device keys, sessions, the applied config), each with a
// closed schema: a file edited by hand or truncated by a full disk fails loudly as VIW_E_CONFIG
// instead of being half-trusted.
import { join } from 'node:path';
import type { Static, TSchema } from 'typebox';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { StrictValidator } from '../../core/schema/strict.js';
import { readIfExists, writeFileIfChanged } from './atomic-file.js';

export function readJsonState<T extends TSchema>(
  stateDir: string,
  name: string,
  validator: StrictValidator<T>,
  empty: Static<T>,
): Static<T> {
  const bytes = readIfExists(join(stateDir, name));
  if (bytes === undefined) return empty;
  try {
    return validator.parse(JSON.parse(bytes.toString('utf8')), 'VIW_E_CONFIG');
  } catch (err) {
    throw new ViworksError('VIW_E_CONFIG', { message: `state file ${name} is damaged`, cause: err });
  } finally {
    bytes.fill(0);
  }
}

/** Always 0600: some state files hold key material. Returns whether the file changed. */
export function writeJsonState(stateDir: string, name: string, value: unknown): boolean {
  return writeFileIfChanged(join(stateDir, name), `${JSON.stringify(value, null, 1)}\n`, 0o600);
}
