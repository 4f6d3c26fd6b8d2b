// A gateway's SSH host key as the administrator pastes it (one OpenSSH public key line, from
// /etc/ssh/ssh_host_ed25519_key.pub on the node, read out of band) → the fingerprint the API pins,
// `SHA256:` + unpadded base64 of the key blob's SHA-256, as `ssh-keygen -lf` prints it. Checked
// before sending: the blob must decode and name the same key type as the line.
import { HostKeyFingerprint } from '../../../../../core/api/admin-gateways.js';

const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
];
// The API's own pattern, so the two cannot drift apart.
const FINGERPRINT = new RegExp((HostKeyFingerprint as unknown as { readonly pattern: string }).pattern);

export type HostKeyLine =
  | { readonly ok: true; readonly blob: Uint8Array }
  | { readonly ok: false; readonly why: string };

export function parseHostKeyLine(line: string): HostKeyLine {
  const [type, b64] = line.trim().split(/\s+/);
  if (!type || !b64) return { ok: false, why: 'Paste one line: "<type> <base64 key> [comment]".' };
  if (!KEY_TYPES.includes(type)) return { ok: false, why: `Unknown key type ${type}.` };
  let blob: Uint8Array;
  try {
    blob = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return { ok: false, why: 'The key is not valid base64.' };
  }
  // The blob is SSH strings (4-byte length, then bytes) to its very end: its own type first, then
  // the key's parts — two more for RSA and ECDSA, one 32-byte key for ed25519.
  const parts = sshStrings(blob);
  const whole = parts !== null && new TextDecoder().decode(parts[0]) === type;
  const shape = type === 'ssh-ed25519' ? parts?.length === 2 && parts[1]?.length === 32 : parts?.length === 3;
  if (!whole || !shape) return { ok: false, why: 'The key does not match its type: was the line cut?' };
  return { ok: true, blob };
}

function sshStrings(blob: Uint8Array): Uint8Array[] | null {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < blob.length; ) {
    if (at + 4 > blob.length) return null;
    const n = view.getUint32(at);
    if (at + 4 + n > blob.length) return null;
    out.push(blob.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out.length > 0 ? out : null;
}

export async function hostKeyFingerprint(blob: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(blob)));
  const fp = `SHA256:${btoa(String.fromCharCode(...digest)).replace(/=+$/, '')}`;
  if (!FINGERPRINT.test(fp)) throw new Error('unexpected fingerprint shape');
  return fp;
}
