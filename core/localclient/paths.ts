// Where the daemon's socket lives. One default for both sides; `VIWORKSD_SOCKET` overrides it for
// the daemon and every front-end alike (tests, development, non-standard packaging).

/** The root-owned daemon socket (directory 0750, socket 0660, group `viworks`). */
export const DEFAULT_SOCKET_PATH = '/run/viworks/viworksd.sock';
export const SOCKET_ENV = 'VIWORKSD_SOCKET';

/** The socket path to use: an explicit value, else `$VIWORKSD_SOCKET`, else the default. */
export function resolveSocketPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  const fromEnv = env[SOCKET_ENV];
  return fromEnv && fromEnv.length > 0 ? fromEnv : DEFAULT_SOCKET_PATH;
}
