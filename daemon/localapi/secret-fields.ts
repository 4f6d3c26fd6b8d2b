// The local API's secret request fields (issue #13): the edge (edge.ts) lifts them out of the body's
// bytes as SecretText (core/secrets), so the password, the phone's code and the enrollment token
// never become JavaScript strings in viworksd. The route schemas validate a dummy that passes exactly
// when the secret would: same length in code points (what Ajv counts) and, where the schema
// has a pattern, the same shape. The handlers take the SecretText (secretBody) and the edge wipes
// every one when the request ends.
import type { FastifyRequest } from 'fastify';
import { LOCAL_SECRET_FIELDS, type LocalSecretField, type WithLocalSecrets } from '../../core/api/local.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { type DummyOf, wipeLifted } from '../../core/secrets/lift-secret-fields.js';
import { codePointLength, type SecretText } from '../../core/secrets/secret-text.js';

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isBase64Url = (c: number) =>
  isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;

/** Free text (passwords): only the length matters to the schema. */
const anyText: DummyOf = (b) => 'x'.repeat(codePointLength(b));
/** OtpCode (`^[0-9]{6}$`): digits stay digits, anything else fails the pattern as the secret would. */
const digits: DummyOf = (b) => (b.every(isDigit) ? '0'.repeat(b.length) : anyText(b));
/** A token `<prefix>[A-Za-z0-9_-]+`: the prefix kept, the random part replaced. */
const token =
  (prefix: string): DummyOf =>
  (b) => {
    const head = new TextEncoder().encode(prefix);
    const shaped =
      b.length >= head.length &&
      head.every((c, i) => b[i] === c) &&
      b.subarray(head.length).every(isBase64Url);
    return shaped ? prefix + 'A'.repeat(b.length - head.length) : anyText(b);
  };

const DUMMIES: Record<LocalSecretField, DummyOf> = {
  password: anyText,
  new_password: anyText,
  otp_code: digits,
  enrollment_token: token('viw_et_'),
};

/** The contract's secret fields (core/api/local.ts) with the dummy each stands in as. */
export const SECRET_FIELD_DUMMIES: ReadonlyMap<string, DummyOf> = new Map(
  LOCAL_SECRET_FIELDS.map((name) => [name, DUMMIES[name]]),
);

declare module 'fastify' {
  interface FastifyRequest {
    /** The secrets edge.ts lifted out of this request's body; wiped when the request ends. */
    secretFields: ReadonlyMap<string, SecretText> | null;
  }
}

/** The request's validated body with each lifted secret in place of its dummy. */
export function secretBody<T extends object>(request: FastifyRequest): WithLocalSecrets<T> {
  const body = { ...(request.body as T) } as Record<string, unknown>;
  for (const name of Object.keys(body)) {
    if (!SECRET_FIELD_DUMMIES.has(name)) continue;
    const secret = request.secretFields?.get(name);
    // The edge lifts every secret string field; a dummy left in place must never be sent anywhere.
    if (!secret) throw new ViworksError('VIW_E_INTERNAL', { details: [`/${name}: not lifted`] });
    body[name] = secret;
  }
  return body as WithLocalSecrets<T>;
}

/**
 * Runs `handler` with the request's body (secrets as SecretText) and wipes the secrets the moment
 * it returns or throws — before the answer is even written (the edge's onResponse hook is the
 * backstop for requests that never reach a handler).
 */
export async function withSecretBody<T extends object, R>(
  request: FastifyRequest,
  handler: (body: WithLocalSecrets<T>) => Promise<R>,
): Promise<R> {
  try {
    return await handler(secretBody<T>(request));
  } finally {
    wipeLifted(request.secretFields);
  }
}
