// crl_update: the CRLs client certificates are checked against. Written to one file (0644, all CRLs
// concatenated) that both daemons read: stunnel's CRLfile is loaded at start and on SIGHUP, so a
// running stunnel is sent one; OpenVPN's `crl-verify` file is reread on every new TLS handshake, so
// it needs nothing (live sessions of a revoked certificate are ended with terminate_session).

import { ViworksError } from '../../core/errors/viworks-error.js';
import type { CrlUpdateInput } from '../../core/gateway/control.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import { serviceManager } from '../services/service-manager.js';
import { ensureParentDir, writeFileIfChanged } from '../state/atomic-file.js';
import { isCrlDer } from './crl-der.js';

/** Each PEM must decode to a DER CertificateList; returns the normalized concatenation. */
export function checkedCrlBundle(pems: readonly string[]): string {
  return pems
    .map((pem, i) => {
      const body = pem
        .replace(/^-----BEGIN X509 CRL-----\n/, '')
        .replace(/-----END X509 CRL-----\n?$/, '')
        .replace(/\n/g, '');
      const der = Buffer.from(body, 'base64');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || !isCrlDer(der)) {
        throw new ViworksError('VIW_E_VALIDATION', {
          message: `invalid request: crl_pem[${i}] is not a CRL`,
        });
      }
      return `${pem.trimEnd()}\n`;
    })
    .join('');
}

export async function crlUpdate(ctx: VerbContext): Promise<VerbOutcome> {
  const bundle = checkedCrlBundle((ctx.input as CrlUpdateInput).crl_pem);
  ensureParentDir(ctx.config.facts.paths.crl);
  const changed = writeFileIfChanged(ctx.config.facts.paths.crl, bundle, 0o644);
  const reloaded = changed ? await serviceManager(ctx.config).reload('stunnel') : false;
  return { changed, result: { reloaded } };
}
