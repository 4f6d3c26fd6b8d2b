#!/usr/bin/env node
// `viworks`: oclif discovers the commands in dist/cli/commands (package.json "oclif" section; one
// file per command, the path is the command id). Exit codes come from cli/lib/exit-codes.ts.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
