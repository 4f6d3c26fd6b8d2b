// Schemas at every edge: TypeBox schemas compiled once, every object closed (additionalProperties
// false), and a failure turned into one typed error whose details name the offending paths only —
// never the offending values, which may be secrets.
import { type Static, type TObject, type TSchema, type TUnsafe, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { ErrorCode } from '../errors/catalogue.js';
import { ViworksError } from '../errors/viworks-error.js';

const MAX_DETAIL_CHARS = 160;

/** Every object at an edge is closed: an unknown field is refused (VIW_E_UNKNOWN_FIELD). */
export const closed = { additionalProperties: false } as const;

export interface StrictValidator<T extends TSchema> {
  readonly schema: T;
  check(value: unknown): value is Static<T>;
  /** Returns the value typed, or throws `code` (default VIW_E_VALIDATION) with the failing paths. */
  parse(value: unknown, code?: ErrorCode): Static<T>;
}

export function strictValidator<T extends TSchema>(schema: T): StrictValidator<T> {
  const compiled = Compile(schema);
  return {
    schema,
    check: (value: unknown): value is Static<T> => compiled.Check(value),
    parse(value: unknown, code: ErrorCode = 'VIW_E_VALIDATION'): Static<T> {
      if (compiled.Check(value)) return value as Static<T>;
      const details = [...compiled.Errors(value)]
        .slice(0, 10)
        // Paths can carry attacker-chosen property names: bound each detail's length.
        .map((e) => `${e.instancePath || '/'}: ${e.message}`.slice(0, MAX_DETAIL_CHARS));
      throw new ViworksError(code, { details });
    },
  };
}

const cache = new WeakMap<TSchema, StrictValidator<TSchema>>();

/** The validator of `schema`, compiled once per schema object for the life of the process. */
export function cachedValidator<T extends TSchema>(schema: T): StrictValidator<T> {
  let v = cache.get(schema);
  if (!v) {
    v = strictValidator(schema);
    cache.set(schema, v);
  }
  return v as StrictValidator<T>;
}

/**
 * A union of closed objects told apart by one literal property (e.g. `type`): JSON Schema `oneOf`
 * with an OpenAPI `discriminator`, so a value is checked against its own branch only and an error in
 * it is reported as what it is (an over-long field is VIW_E_VALIDATION, not an unknown field of some
 * other branch, as a plain union reports it). The backend's Ajv runs with `discriminator: true`.
 */
export function taggedUnion<T extends TObject[]>(
  propertyName: string,
  branches: [...T],
): TUnsafe<Static<T[number]>> {
  return Type.Unsafe<Static<T[number]>>({
    type: 'object',
    required: [propertyName],
    discriminator: { propertyName },
    oneOf: branches,
  });
}
