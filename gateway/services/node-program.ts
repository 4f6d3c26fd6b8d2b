// What our Node services on the node (viworks-gw-observe, viworks-gw-frontdoor) share: their one
// argument, their diagnostics line and how a failure is described there (codes and our own messages,
// never a log's or a packet's content).
import { isViworksError } from '../../core/errors/viworks-error.js';

/** `--config <path>` and nothing else; undefined otherwise. */
export function configArg(argv: readonly string[]): string | undefined {
  return argv.length === 2 && argv[0] === '--config' ? argv[1] : undefined;
}

/** A diagnostics writer: one timestamped line on stderr (its own log in direct mode, the journal under systemd). */
export function diagnostics(name: string): (text: string) => void {
  return (text) => process.stderr.write(`${new Date().toISOString()} ${name}: ${text}\n`);
}

export function describeFailure(err: unknown): string {
  if (isViworksError(err)) return `${err.code}: ${[err.message, ...err.details].join('; ')}`;
  return err instanceof Error ? err.message : 'failed';
}
