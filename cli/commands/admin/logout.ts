import { isViworksError } from '../../../core/errors/viworks-error.js';
import type { AdminLogoutResult } from '../../lib/admin-results.js';
import { adminToken, clearAdminToken, loadAdminSession } from '../../lib/admin-session.js';
import { ViworksCommand } from '../../lib/base-command.js';
import { adminClientFor } from '../../lib/trust.js';

/** Ends the admin session on the backend and forgets the token (the backend settings stay). */
export default class AdminLogout extends ViworksCommand<AdminLogoutResult> {
  static override summary = 'Log out of the admin API';

  async run(): Promise<AdminLogoutResult> {
    await this.parse(AdminLogout);
    const session = loadAdminSession();
    const token = session ? await adminToken(session) : null;
    if (!session || !token) {
      this.log('Not logged in.');
      return { v: 1, logged_out: false };
    }
    try {
      await adminClientFor(session, token).logout();
    } catch (err) {
      // An expired session is already over; anything else (network) still forgets the token here.
      if (!isViworksError(err, 'VIW_E_TOKEN_INVALID'))
        this.progress('The backend did not confirm the logout.');
    }
    await clearAdminToken(session);
    this.log('Logged out.');
    return { v: 1, logged_out: true };
  }
}
