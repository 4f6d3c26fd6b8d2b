// Enrollment (POST /v1/enroll, /v1/enroll/confirm → POST /device/enroll[/confirm]): new device keys
// in the KeyStore (X25519 + Ed25519 in a software store; P-256 made inside the TPM with `tpm2`, sent
// with key_type p256), a request signed by the new key (key id = fingerprint) over the
// pinned channel given by the user (URL, CA, primary + backup pins: fail closed), then the device
// record. With an enrollment token it is one step; without, the phone's code confirms it.
import { X509Certificate } from 'node:crypto';
import type { Static } from 'typebox';
import { encodeKey32 } from '../../core/api/common.js';
import type { EnrolledDevice } from '../../core/api/device.js';
import {
  type EnrollConfirmRequestSchema,
  type EnrollRequestSchema,
  type EnrollResponseSchema,
  LOCAL_API_VERSION,
  type WithLocalSecrets,
} from '../../core/api/local.js';
import { pinnedBackendClient } from '../../core/backendclient/pinned-transport.js';
import { assertPinSet } from '../../core/crypto/pins.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { createDeviceKeys, deleteDeviceKeys, deviceSigner } from './device-keys.js';
import { type DeviceRecord, deviceInfo } from './device-record.js';
import type { EngineContext } from './engine-context.js';
import { codeOf } from './errors.js';
import type { PendingEnroll } from './secrets.js';

type EnrollRequest = WithLocalSecrets<Static<typeof EnrollRequestSchema>>;
type EnrollResponse = Static<typeof EnrollResponseSchema>;
type EnrollConfirm = WithLocalSecrets<Static<typeof EnrollConfirmRequestSchema>>;

export async function enroll(e: EngineContext, req: EnrollRequest): Promise<EnrollResponse> {
  const existing = e.currentRecord();
  if (existing && existing.status !== 'revoked') {
    throw new ViworksError('VIW_E_STATE', { details: ['this device is already enrolled'] });
  }
  if (e.activeSession()) throw new ViworksError('VIW_E_STATE', { details: ['a session is active'] });
  assertPinSet(req.backend_pins, '/backend_pins');
  try {
    new X509Certificate(req.ca_pem);
  } catch {
    throw new ViworksError('VIW_E_VALIDATION', { details: ['/ca_pem: not a PEM certificate'] });
  }
  e.wipeSecrets();
  const backend = pinnedBackendClient({ url: req.backend_url, caPem: req.ca_pem, pins: req.backend_pins });
  const store = e.keyStore();
  const client = e.clientInfo();
  const keys = await createDeviceKeys(store);
  const params: PendingEnroll['request'] = {
    backend_url: backend.url,
    backend_pins: req.backend_pins,
    ca_pem: req.ca_pem,
    username: req.username,
  };
  e.log.event('device.enroll', 'start', {
    fingerprint: keys.fingerprint.slice(0, 16),
    token: !!req.enrollment_token,
  });
  try {
    const out = await backend.enroll(
      {
        hpke_public_key: encodeKey32(keys.hpkePublicKey),
        signing_public_key: encodeKey32(keys.signingPublicKey),
        fingerprint: keys.fingerprint,
        // Only sent for TPM keys: a software device's request stays exactly what it always was.
        ...(keys.keyType === 'p256' ? { key_type: keys.keyType } : {}),
        platform: client.platform,
        ...(client.deviceName ? { device_name: client.deviceName } : {}),
        client_version: client.daemonVersion,
        key_protection: store.protection,
        username: req.username,
        password: req.password,
        ...(req.enrollment_token ? { enrollment_token: req.enrollment_token } : {}),
      },
      deviceSigner(store, keys.fingerprint),
    );
    if (out.kind === 'otp_required') {
      e.holdSecret('enroll', {
        txnId: out.pending.txn_id,
        expiresAtMs: Date.parse(out.pending.otp_expires_at),
        fingerprint: keys.fingerprint,
        request: params,
      });
      e.setState('otp_pending', { otp_expires_at: out.pending.otp_expires_at, last_error: null });
      e.log.event('device.enroll', 'ok', { next: 'otp' });
      return {
        v: LOCAL_API_VERSION,
        enroll_state: 'otp_required',
        device: null,
        otp_expires_at: out.pending.otp_expires_at,
      };
    }
    const record = await finish(e, params, out.device);
    return {
      v: LOCAL_API_VERSION,
      enroll_state: 'enrolled',
      device: deviceInfo(record),
      otp_expires_at: null,
    };
  } catch (err) {
    await deleteDeviceKeys(store).catch(() => undefined);
    e.log.event('device.enroll', 'failed', { code: codeOf(err) });
    throw e.fail(err);
  }
}

export async function enrollConfirm(e: EngineContext, req: EnrollConfirm): Promise<EnrollResponse> {
  const pending = e.secret('enroll');
  if (!pending) throw new ViworksError('VIW_E_STATE', { details: ['no enrollment is waiting for a code'] });
  const backend = pinnedBackendClient({
    url: pending.request.backend_url,
    caPem: pending.request.ca_pem,
    pins: pending.request.backend_pins,
  });
  try {
    const device = await backend.enrollConfirm(
      { txn_id: pending.txnId, otp_code: req.otp_code },
      deviceSigner(e.keyStore(), pending.fingerprint),
    );
    e.wipeSecrets();
    const record = await finish(e, pending.request, device);
    return {
      v: LOCAL_API_VERSION,
      enroll_state: 'enrolled',
      device: deviceInfo(record),
      otp_expires_at: null,
    };
  } catch (err) {
    e.log.event('device.enroll_confirm', 'failed', { code: codeOf(err) });
    if (err instanceof ViworksError && err.code === 'VIW_E_OTP_INVALID') throw e.fail(err, 'otp_pending');
    e.wipeSecrets();
    await deleteDeviceKeys(e.keyStore()).catch(() => undefined);
    throw e.fail(err);
  }
}

async function finish(
  e: EngineContext,
  params: PendingEnroll['request'],
  device: EnrolledDevice,
): Promise<DeviceRecord> {
  if (device.backend_pins && !samePins(device.backend_pins, params.backend_pins)) {
    // Kept as given by the user (this connection was pinned to them); a roll must ship them first.
    e.log.warn('device.enroll: the backend advertises other pins than the ones configured');
  }
  const record: DeviceRecord = {
    v: 1,
    device_id: device.device_id,
    fingerprint: device.fingerprint,
    status: device.status,
    backend_url: params.backend_url,
    backend_pins: params.backend_pins,
    ca_pem: params.ca_pem,
    username: params.username,
    key_protection: e.keyStore().protection,
    key_store: e.keyStore().name,
    enrolled_at: new Date().toISOString(),
  };
  await e.saveRecord(record);
  e.setState('enrolled', { otp_expires_at: null, last_error: null });
  e.log.event('device.enroll', 'ok', { device: device.device_id, status: device.status });
  return record;
}

function samePins(
  a: { primary_b64: string; backup_b64: string },
  b: { primary_b64: string; backup_b64: string },
) {
  return a.primary_b64 === b.primary_b64 && a.backup_b64 === b.backup_b64;
}
