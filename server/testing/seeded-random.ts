// A fixed-seed generator (xorshift32) for the mutation tests: every run mutates the same way, so a
// failure replays from its index. Not for anything but tests.

/** Integers in [0, n) from a fixed seed. */
export function seededInts(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}
