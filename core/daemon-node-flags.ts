/**
 * The node options viworksd runs with, for every launch that names node itself (the systemd unit
 * `viworks daemon install` writes, the lab; the binary's shebang carries the same two):
 * --max-semi-space-size=1: the young generation grows to 2×16 MiB semi-spaces while the modules
 *   load and never shrinks back on an idle daemon (~16 MiB of RSS); the daemon allocates little once
 *   started, and a TLS pump through 1 MiB semi-spaces measured the same CPU per GB;
 * --v8-pool-size=1: one V8 worker thread instead of four (~2.5 MiB of RSS: stacks, allocator
 *   arenas), same CPU per GB. Refused: --jitless / --lite-mode / --no-opt (~8 MiB less, but
 *   +35–40 % CPU per GB through the pump). Measured by bench/daemon-memory.ts (issue #19).
 */
export const VIWORKSD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--v8-pool-size=1'];
