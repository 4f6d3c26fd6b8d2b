// What every verb handler receives and returns. Handlers are plain async functions; the dispatcher
// does parsing, locking, the reply and the audit line around them.
import type { NodeConfig } from '../node-config.js';

export interface VerbContext {
  readonly config: NodeConfig;
  /** Grammar-checked positional arguments. */
  readonly args: readonly string[];
  /** The verb's stdin document, already validated against its schema (undefined if it has none). */
  readonly input: unknown;
  readonly now: () => Date;
}

export interface VerbOutcome {
  readonly changed: boolean;
  readonly result?: Record<string, unknown>;
}

export type VerbHandler = (ctx: VerbContext) => Promise<VerbOutcome>;
