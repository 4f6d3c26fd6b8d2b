#!/usr/bin/env node
// The phone simulator: does what the ViWorkS phone app does, against the real backend API.
//   node --import tsx mobile/sim/viworks-phone.ts bind --server URL --ca FILE --pin B64 --state FILE --code X
// See mobile/sim/cli.ts for the commands and mobile/sim/README.md.
import { runPhoneCli } from './cli.js';

process.exitCode = await runPhoneCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
});
