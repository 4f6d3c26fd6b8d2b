// The @oclif/core that the bundled CLI runs (scripts/build/cli-bundle.ts aliases '@oclif/core' to
// this module): dist/cli-bundle/oclif.cjs compiled from the V8 code cache beside it
// (cli/lib/code-cache.ts). Parsing and compiling oclif's ~330 KB was the largest single cost of a
// `viworks` start left after bundling. Only the bundle imports this; tsc's dist/cli and the
// sources import @oclif/core itself.
import type * as Oclif from '@oclif/core';
import { CACHED_PACKAGES, loadCachedCommonJs } from './code-cache.js';

const oclif = loadCachedCommonJs(CACHED_PACKAGES['@oclif/core'], import.meta.url) as typeof Oclif;

// The names the CLI imports from @oclif/core; one missing here fails the bundle's build.
export const { Args, Command, Config, execute, Flags, Plugin } = oclif;
