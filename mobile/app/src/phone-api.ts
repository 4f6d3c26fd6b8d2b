// The backend as the app sees it: the typed BackendClient over the browser's same-origin fetch,
// and request signers for this phone's key (key id = fingerprint while binding, then the
// mobile_device_id).
import { BackendClient, type Signer } from '../../../core/backendclient/backend-client.js';
import { FetchTransport } from '../../../core/backendclient/fetch-transport.js';
import { signRequestWeb } from '../../../core/crypto/web-request-signing.js';

export const api = new BackendClient(new FetchTransport());

export function signerFor(keyId: string, privateKey: CryptoKey): Signer {
  return (method, path, body) => signRequestWeb(keyId, privateKey, method, path, body);
}
