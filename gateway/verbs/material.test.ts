// The SIEM part of apply_config's material check: it comes exactly with settings.siem, its key
// belongs to its certificate, that certificate is for TLS clients, and the CA bundle is CAs. Refused
// before anything is written, with a message that carries no key or certificate bytes.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import type {
  GatewayMaterialInput,
  GatewaySiemMaterial,
  GatewaySiemSettings,
} from '../../core/gateway/control.js';
import { createTestCa, type TestCa } from '../../scripts/testkit/openvpn-server.js';
import { PROFILES } from '../../server/pki/profiles.js';
import { SIEM_CLIENT_PROFILE } from '../../server/services/gateways/node-config.js';
import { checkSiemMaterial } from './material.js';

const target: GatewaySiemSettings = {
  host: 'siem.example.test',
  port: 6514,
  server_name: 'siem.example.test',
  queue_max_bytes: 64 * 1024 * 1024,
};

describe('checkSiemMaterial', () => {
  let ca: TestCa;
  let good: GatewaySiemMaterial;
  const material = (siem?: GatewaySiemMaterial) => ({ ...(siem ? { siem } : {}) }) as GatewayMaterialInput;
  const refused = (siem: GatewaySiemSettings | undefined, m: GatewaySiemMaterial | undefined, why: RegExp) =>
    assert.throws(
      () => checkSiemMaterial(siem, material(m)),
      (e: unknown) => {
        assert.ok(isViworksError(e, 'VIW_E_VALIDATION'), String(e));
        assert.match(e.message, why);
        assert.doesNotMatch(JSON.stringify(e.toBody()), /BEGIN|PRIVATE/);
        return true;
      },
    );

  before(async () => {
    ca = await createTestCa('SIEM material');
    const client = await ca.issue('gw.example.test', SIEM_CLIENT_PROFILE);
    good = { ca_pem: ca.caPem, cert_pem: client.certPem, key_pem: client.keyPem };
  });

  test('nothing on either side is fine; a client certificate for TLS clients with its key and CAs too', () => {
    checkSiemMaterial(undefined, material());
    checkSiemMaterial(target, material(good));
  });

  test('one without the other is refused', () => {
    refused(target, undefined, /siem and settings\.siem come together/);
    refused(undefined, good, /siem and settings\.siem come together/);
  });

  test('a key of another certificate is refused', async () => {
    const other = await ca.issue('other.example.test', SIEM_CLIENT_PROFILE);
    refused(target, { ...good, key_pem: other.keyPem }, /siem client key does not belong/);
    refused(target, { ...good, key_pem: 'not a key' }, /siem client key does not parse/);
  });

  test('a server certificate (no EKU clientAuth) is refused: the SIEM would refuse it', async () => {
    const server = await ca.issue('gw.example.test', PROFILES['tls-gateway']);
    refused(target, { ...good, cert_pem: server.certPem, key_pem: server.keyPem }, /not for TLS clients/);
  });

  test('a CA bundle that holds a leaf, or is not PEM, is refused', () => {
    refused(target, { ...good, ca_pem: good.cert_pem }, /siem ca holds a certificate that is not a CA/);
    refused(target, { ...good, ca_pem: `${ca.caPem}garbage\n` }, /siem ca is not a PEM certificate list/);
    refused(target, { ...good, cert_pem: '' }, /siem client certificate is not a PEM certificate list/);
  });
});
