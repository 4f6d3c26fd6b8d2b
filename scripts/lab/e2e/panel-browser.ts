// Debian's chromium, driven by playwright-core, running INSIDE one lab host's namespace: playwright
// starts it through a wrapper that `ip netns exec`s into the namespace, so the browser resolves
// and reaches the backend exactly as a machine on the lab's network would (the namespace's
// /etc/hosts). The backend's certificate is accepted by its SPKI pin only
// (--ignore-certificate-errors-spki-list), the pin every lab client already holds: no CA is
// installed and no other certificate error is waved through.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../../../mobile/app/testing/chromium.js';
import { base32Decode, hotp, totpStep } from '../../../server/services/admin/totp.js';
import { IP } from '../../testkit/netns.js';
import type { HostRole, LabPlan } from '../plan.js';
import { readLabState } from '../state.js';

export function launchChromiumIn(plan: LabPlan, host: HostRole): Promise<Browser> {
  const wrapper = join(plan.dir, `chromium-in-${host}`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ${IP} netns exec ${plan[host].ns} ${CHROMIUM} "$@"\n`, {
    mode: 0o700,
  });
  const { pins } = readLabState(plan).backend;
  return launchChromium(
    [`--ignore-certificate-errors-spki-list=${pins.primary_b64},${pins.backup_b64}`],
    wrapper,
  );
}

/** The lab admin's TOTP code of the current step (the secret as the lab driver stored it, base32). */
export function labAdminTotp(secretBase32: string): string {
  return hotp(base32Decode(secretBase32), totpStep(Date.now()), 6, 'SHA1');
}
