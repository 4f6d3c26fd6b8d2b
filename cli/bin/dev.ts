#!/usr/bin/env -S node --import tsx
// Development entry point: the same `viworks`, with the commands loaded straight from the
// TypeScript sources (cli/commands) instead of dist/. Used by tests of scripts that call the CLI:
//   node --import tsx cli/bin/dev.ts status --json
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execute } from '@oclif/core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pjson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
pjson.oclif = { ...pjson.oclif, commands: './cli/commands' };
await execute({ loadOptions: { root, pjson } });
