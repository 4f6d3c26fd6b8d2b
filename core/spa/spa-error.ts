import { ViworksError } from '../errors/viworks-error.js';

/**
 * Every SPA failure is one typed error, VIW_E_SPA_INVALID, with a single safe detail naming the
 * check that failed (e.g. `hmac.verify`, `input.username`). Details never carry key material,
 * plaintext or the offending value, and no `cause` is attached, so nothing secret can reach a log
 * through the error chain.
 */
export function spaInvalid(check: string): ViworksError {
  return new ViworksError('VIW_E_SPA_INVALID', { details: [check] });
}
