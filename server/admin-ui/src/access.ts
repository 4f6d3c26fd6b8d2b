// What a role sees: the pages it may read and the controls it may use, from the one role matrix
// the backend enforces (core/api/admin.ts roleAllows). Hiding is for clarity only — the backend
// refuses every write the role lacks (403 VIW_E_FORBIDDEN), whatever the page shows.
import { type AdminPermission, roleAllows, type UserRole } from '../../../core/api/admin.js';
import { isReady, PAGE_CATALOG, type PageEntry } from './pages/catalog.js';

export function can(role: UserRole, permission: AdminPermission): boolean {
  return roleAllows(role, permission);
}

/** The navigation of a role: every page it may read, in catalog order. */
export function visiblePages(role: UserRole): PageEntry[] {
  return PAGE_CATALOG.filter((p) => can(role, p.read));
}

/** Where a role lands after signing in: its first built page, or null (a role with none). */
export function landingPage(role: UserRole): PageEntry | null {
  return visiblePages(role).find((p) => isReady(p.id)) ?? null;
}
