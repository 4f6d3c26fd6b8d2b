// The component of every built page (catalog.ts lists them all, built or planned). Typed by the
// catalog: a page moved to READY_PAGES does not compile until it is mapped here.
import type { ComponentType } from 'react';
import { AlertsPage } from './AlertsPage.js';
import { AuditPage } from './AuditPage.js';
import type { ReadyPageId } from './catalog.js';
import { DevicesPage } from './DevicesPage.js';
import { EnrollmentTokensPage } from './EnrollmentTokensPage.js';
import { GatewaysPage } from './GatewaysPage.js';
import { OverviewPage } from './OverviewPage.js';
import { PhonesPage } from './PhonesPage.js';
import { PoliciesPage } from './PoliciesPage.js';
import { SessionsPage } from './SessionsPage.js';
import { UsersPage } from './UsersPage.js';

export const PAGE_COMPONENTS: Readonly<Record<ReadyPageId, ComponentType>> = {
  overview: OverviewPage,
  users: UsersPage,
  devices: DevicesPage,
  phones: PhonesPage,
  'enrollment-tokens': EnrollmentTokensPage,
  sessions: SessionsPage,
  alerts: AlertsPage,
  audit: AuditPage,
  gateways: GatewaysPage,
  policies: PoliciesPage,
};
