// The PKI material of an apply_config, checked before anything is rendered or written: every
// certificate parses, every key parses and belongs to its certificate, the tls-crypt key has
// OpenVPN's static-key shape, the CRLs are CRLs; the SIEM material comes exactly with a SIEM target,
// its client certificate is one for TLS clients. A bundle that would leave a daemon unable to start
// is refused while the node still runs on the previous one.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { GatewayMaterialInput, GatewaySiemSettings } from '../../core/gateway/control.js';
import { checkedCrlBundle } from './crl.js';

const invalid = (what: string) =>
  new ViworksError('VIW_E_VALIDATION', { message: `invalid request: material ${what}` });

const TLS_CRYPT_RE =
  /^(#[^\n]*\n)*-----BEGIN OpenVPN Static key V1-----\n([0-9a-f]{32}\n){16}-----END OpenVPN Static key V1-----\n?$/;
const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?/g;

function certificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT_RE) ?? [];
  if (blocks.length === 0 || blocks.join('').replace(/\n/g, '') !== pem.replace(/\n/g, '')) {
    throw invalid(`${what} is not a PEM certificate list`);
  }
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    throw invalid(`${what} does not parse`);
  }
}

/** id-kp-clientAuth (RFC 5280 4.2.1.12). */
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

function checkPair(certPem: string, keyPem: string, what: string): X509Certificate {
  const [leaf] = certificates(certPem, `${what} certificate`);
  if (!leaf) throw invalid(`${what} certificate is missing`);
  let matches = false;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw invalid(`${what} key does not parse`);
  }
  if (!matches) throw invalid(`${what} key does not belong to its certificate`);
  return leaf;
}

function checkCas(pem: string, what: string): void {
  for (const ca of certificates(pem, what)) {
    if (!ca.ca) throw invalid(`${what} holds a certificate that is not a CA`);
  }
}

export interface CheckedMaterial {
  readonly crlBundle: string;
}

export function checkMaterial(m: GatewayMaterialInput): CheckedMaterial {
  checkPair(m.tls_cert_pem, m.tls_key_pem, 'tls');
  checkPair(m.openvpn_cert_pem, m.openvpn_key_pem, 'openvpn');
  checkCas(m.client_ca_pem, 'client_ca');
  if (!TLS_CRYPT_RE.test(m.tls_crypt_key)) throw invalid('tls_crypt_key is not an OpenVPN static key');
  return { crlBundle: checkedCrlBundle(m.crl_pem) };
}

/**
 * A SIEM target comes with the node's side of mutual TLS, and that material only with a target:
 * the CA bundle is CAs, the key belongs to the certificate, and the certificate is one a TLS server
 * accepts from a client (EKU clientAuth), so a forwarder the SIEM would refuse is never started.
 */
export function checkSiemMaterial(siem: GatewaySiemSettings | undefined, m: GatewayMaterialInput): void {
  if (siem === undefined && m.siem === undefined) return;
  if (siem === undefined || m.siem === undefined) throw invalid('siem and settings.siem come together');
  const leaf = checkPair(m.siem.cert_pem, m.siem.key_pem, 'siem client');
  if (!(leaf.keyUsage ?? []).includes(CLIENT_AUTH_OID)) {
    throw invalid('siem client certificate is not for TLS clients (no EKU clientAuth)');
  }
  checkCas(m.siem.ca_pem, 'siem ca');
}
