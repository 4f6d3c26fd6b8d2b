// Test helpers: a command's --json output checked against its documented result schema.
import assert from 'node:assert/strict';
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ErrorResultSchema } from '../lib/results.js';
import { onlyJson, type RunOutcome } from './run.js';

/** Asserts `value` matches `schema` (closed objects: no undocumented field) and returns it typed. */
export function assertSchema<S extends TSchema>(schema: S, value: unknown): Static<S> {
  const compiled = Compile(schema);
  if (!compiled.Check(value)) {
    const errors = [...compiled.Errors(value)].slice(0, 5).map((e) => `${e.instancePath}: ${e.message}`);
    assert.fail(`result does not match its schema: ${errors.join('; ')}\n${JSON.stringify(value)}`);
  }
  return value as Static<S>;
}

/** A successful --json run: exit 0, exactly one JSON object on stdout, matching `schema`. */
export function okJson<S extends TSchema>(run: RunOutcome<unknown>, schema: S): Static<S> {
  assert.equal(run.exitCode, 0, `exit ${run.exitCode}: ${run.stdout}${run.stderr}`);
  return assertSchema(schema, onlyJson(run.stdout));
}

/** A failed --json run: the expected exit code and error code, exactly one JSON error object. */
export function errJson(run: RunOutcome<unknown>, exitCode: number, code: string) {
  const body = assertSchema(ErrorResultSchema, onlyJson(run.stdout));
  assert.equal(body.error.code, code, JSON.stringify(body));
  assert.equal(run.exitCode, exitCode, JSON.stringify(body));
  assert.ok(body.error.hint.length > 0);
  return body.error;
}
