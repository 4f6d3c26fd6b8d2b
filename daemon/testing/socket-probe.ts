// Run as another user by socket-permission.test.ts: asks the daemon for its status through the
// LocalClient and prints one JSON line — `{"state":…}` or `{"code":…,"hint":…}`.
import { isViworksError } from '../../core/errors/viworks-error.js';
import { LocalClient } from '../../core/localclient/index.js';

const socketPath = process.argv[2];
try {
  const s = await new LocalClient({
    ...(socketPath ? { socketPath } : {}),
    onVersionMismatch: () => {},
  }).status();
  process.stdout.write(`${JSON.stringify({ state: s.state })}\n`);
} catch (err) {
  process.stdout.write(
    `${JSON.stringify(isViworksError(err) ? { code: err.code, hint: err.hint } : { code: 'unexpected' })}\n`,
  );
}
