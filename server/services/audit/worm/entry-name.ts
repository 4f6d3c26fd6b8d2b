// The names files take inside the WORM directory (`batches/000000000001.ndjson`): lower-case
// segments of [a-z0-9._-] joined by '/', at most 200 characters. No segment starts with a dot, which
// rules out `.` and `..` and keeps our own temp and probe files (dot-names) out of reach; `..`
// anywhere is refused outright so that no reading of the name can climb out of the directory.
import { Type } from 'typebox';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { strictValidator } from '../../../../core/schema/strict.js';

export const MAX_ENTRY_NAME = 200;

const EntryName = Type.String({
  minLength: 1,
  maxLength: MAX_ENTRY_NAME,
  pattern: '^(?!.*\\.\\.)[a-z0-9_-][a-z0-9._-]*(/[a-z0-9_-][a-z0-9._-]*)*$',
});

const validator = strictValidator(EntryName);

/** Returns `name` when it is a valid entry name; else throws VIW_E_VALIDATION (without the name). */
export function checkEntryName(name: unknown): string {
  if (validator.check(name)) return name;
  throw new ViworksError('VIW_E_VALIDATION', {
    details: [
      `audit.worm entry name: 1-${MAX_ENTRY_NAME} characters, segments of [a-z0-9._-] joined by '/', none starting with '.', no '..'`,
    ],
  });
}
