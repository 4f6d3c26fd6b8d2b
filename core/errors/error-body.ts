// The one wire shape of an error, everywhere (backend, local API, `viworks --json`):
// `{code, message, hint, details?, trace_id?}`. `details` are short, safe strings (field paths,
// check names) — never a secret, never the request's URL or body.
import { type Static, Type } from 'typebox';
import { closed } from '../schema/strict.js';

export const ErrorBodySchema = Type.Object(
  {
    code: Type.String({ pattern: '^VIW_E_[A-Z0-9_]+$', maxLength: 64 }),
    message: Type.String({ maxLength: 512 }),
    hint: Type.String({ maxLength: 512 }),
    details: Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 32 })),
    trace_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{8,64}$' })),
  },
  closed,
);
export type ErrorBodyWire = Static<typeof ErrorBodySchema>;
