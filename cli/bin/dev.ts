#!/usr/bin/env -S node --import tsx
// Development entry point: the same `viworks`, with the commands loaded straight from the
// TypeScript sources (cli/commands) instead of dist/. Used by tests of scripts that call the CLI:
//   node --import tsx cli/bin/dev.ts status --json
// It never reads an oclif manifest (those describe dist/, see cli/lib/cli-root.ts): every command
// module is imported, so what runs is always the source as it is now.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliLoadOptions } from '../lib/cli-root.js';
import { runCli } from '../lib/main.js';

await runCli(cliLoadOptions(dirname(dirname(fileURLToPath(import.meta.url)))), false);
