// Every page of the panel, in navigation order: its hash route, its title, the permission needed to
// read it (a role without it never sees the page in the navigation) and whether it is built yet.
// A page in `planned` shows the CLI command that does its job meanwhile; to build one, move its id
// to READY_PAGES, and registry.tsx will not compile until it maps the id to a component.
import type { AdminPermission } from '../../../../core/api/admin.js';

export const READY_PAGES = [
  'overview',
  'users',
  'devices',
  'phones',
  'enrollment-tokens',
  'sessions',
  'alerts',
  'audit',
  'gateways',
  'policies',
] as const;
export const PLANNED_PAGES = [] as const;

export type ReadyPageId = (typeof READY_PAGES)[number];
export type PlannedPageId = (typeof PLANNED_PAGES)[number];
export type PageId = ReadyPageId | PlannedPageId;

export interface PageEntry {
  readonly id: PageId;
  readonly title: string;
  /** Needed to see the page at all: the permission of its list route. */
  readonly read: AdminPermission;
  /** Planned pages: what to run until the page exists. */
  readonly cli?: string;
}

export const PAGE_CATALOG: readonly PageEntry[] = [
  { id: 'overview', title: 'Overview', read: 'sessions:read' },
  { id: 'users', title: 'Users', read: 'users:read' },
  { id: 'devices', title: 'Devices', read: 'devices:read' },
  { id: 'phones', title: 'Phones', read: 'devices:read' },
  { id: 'enrollment-tokens', title: 'Enrollment tokens', read: 'tokens:read' },
  { id: 'sessions', title: 'Sessions', read: 'sessions:read' },
  { id: 'gateways', title: 'Gateways', read: 'gateways:read' },
  { id: 'policies', title: 'Policies', read: 'policies:read' },
  { id: 'audit', title: 'Audit', read: 'audit:read' },
  { id: 'alerts', title: 'Alerts', read: 'alerts:read' },
];

export function isReady(id: PageId): id is ReadyPageId {
  return (READY_PAGES as readonly string[]).includes(id);
}

/** The page a hash route names (`#/users`), or null. */
export function pageOfHash(hash: string): PageEntry | null {
  const id = /^#\/([a-z-]+)$/.exec(hash)?.[1];
  return PAGE_CATALOG.find((p) => p.id === id) ?? null;
}

export function hashOf(id: PageId): string {
  return `#/${id}`;
}
