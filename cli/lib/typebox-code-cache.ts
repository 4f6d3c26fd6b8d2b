// The typebox that the bundled CLI runs (scripts/build/cli-bundle.ts aliases 'typebox' and
// 'typebox/compile' to this module): dist/cli-bundle/typebox.cjs compiled from the V8 code cache
// beside it (cli/lib/code-cache.ts); every schema the local client checks is built and compiled
// with it. Only the bundle imports this; tsc's dist/ and the sources import typebox itself.
import type * as TypeBox from 'typebox';
import type * as TypeBoxCompile from 'typebox/compile';
import { CACHED_PACKAGES, loadCachedCommonJs } from './code-cache.js';

const typebox = loadCachedCommonJs(CACHED_PACKAGES.typebox, import.meta.url) as typeof TypeBox &
  typeof TypeBoxCompile;

// The names the CLI's modules import from typebox and typebox/compile; one missing here fails the
// bundle's build (typebox/value is not bundled: no CLI module uses it).
export const { Type, Compile } = typebox;
