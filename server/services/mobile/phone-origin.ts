// The phone app's origin: where it is served (/phone/) and what its WebAuthn credentials are bound
// to. Configured (`phoneOrigin`), or https://<first public name>[:<port the backend listens on>].
import type { ServerConfig } from '../../config.js';

export function phoneAppOrigin(
  config: Pick<ServerConfig, 'phoneOrigin' | 'publicNames'>,
  port: number,
): string {
  const rpId = config.publicNames[0] ?? 'localhost';
  return config.phoneOrigin ?? `https://${rpId}${port === 443 ? '' : `:${port}`}`;
}

/** The link a bind code travels in: the code in the fragment, which browsers never send to a server. */
export function bindLink(origin: string, code: string): string {
  return `${origin}/phone/#bind=${encodeURIComponent(code)}`;
}
