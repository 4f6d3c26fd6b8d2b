// The wait before reconnecting a dropped live stream: doubling from one second, capped at 30 s so
// a backend back from a restart is found soon, never hammered by every open panel at once.
export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 30_000;

/** The wait before attempt `failures` (1 = the first reconnect after a drop). */
export function retryDelayMs(failures: number): number {
  if (failures < 1) return 0;
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 15));
}
