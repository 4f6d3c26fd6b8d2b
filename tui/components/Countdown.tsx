// Time left on the phone code (the backend's window is 120 s): m:ss, yellow under 30 s, then
// "expired" — the daemon's otp_expires_at is the only source.
import { Text } from 'ink';
import { useNow } from '../hooks/useNow.js';

export function secondsLeft(expiresAt: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(expiresAt) - now) / 1000));
}

export function Countdown({ expiresAt, now }: { readonly expiresAt: string; readonly now?: number }) {
  const ticking = useNow(now === undefined);
  const left = secondsLeft(expiresAt, now ?? ticking);
  if (left === 0) return <Text color="red">The code has expired: press Esc, then c to log in again.</Text>;
  const mmss = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  return <Text color={left < 30 ? 'yellow' : 'green'}>Code expires in {mmss}</Text>;
}
