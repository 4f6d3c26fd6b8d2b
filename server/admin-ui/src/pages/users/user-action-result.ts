// What a user action on the Users page reports back to the page (its own file: the row and its
// groups cell both use it, and neither may import the other).
import type { Static } from 'typebox';
import type { BindCodeReply } from '../../../../../core/api/admin.js';

export interface UserActionResult {
  readonly note?: string;
  readonly oneTimePassword?: { readonly username: string; readonly value: string };
  readonly bind?: { readonly username: string; readonly reply: Static<typeof BindCodeReply> };
}
