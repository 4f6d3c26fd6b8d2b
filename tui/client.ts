// What the TUI needs of the daemon: the typed LocalClient's methods, nothing else (tests pass a fake
// with the same shape; production passes a LocalClient).
import type { LocalClient } from '../core/localclient/index.js';

export type TuiClient = Pick<
  LocalClient,
  'socketPath' | 'watch' | 'logs' | 'login' | 'otp' | 'password' | 'connect' | 'disconnect' | 'preflight'
>;
