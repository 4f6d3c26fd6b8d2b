#!/usr/bin/env node
import { isViworksError } from '../../core/errors/viworks-error.js';
// viworks-gw: the gateway's SSH ForceCommand (authorized_keys `command="… viworks-gw --config
// <gw.json>",restrict`). sshd passes the backend's request in SSH_ORIGINAL_COMMAND; we answer with
// one JSON line on stdout and exit 0 (ok), 1 (failed) or 2 (invalid). Our own argv comes from the
// authorized_keys line, never from the caller.
import { CONTROL_PROTOCOL_VERSION, GW_EXIT } from '../../core/gateway/control.js';
import { handleRequest } from '../dispatch/run-request.js';
import { loadNodeConfig } from '../node-config.js';

function configPath(argv: readonly string[]): string | undefined {
  return argv.length === 2 && argv[0] === '--config' ? argv[1] : undefined;
}

function write(line: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

async function main(): Promise<number> {
  const path = configPath(process.argv.slice(2));
  let config: ReturnType<typeof loadNodeConfig>;
  try {
    if (!path) throw new Error('usage: viworks-gw --config <gw.json>');
    config = loadNodeConfig(path);
  } catch (err) {
    // Without a valid config there is no audit log to write to: say why on stderr (sshd logs it).
    const details = isViworksError(err) ? err.details.join('; ') : err instanceof Error ? err.message : '';
    process.stderr.write(`viworks-gw: configuration error: ${details}\n`);
    await write(
      JSON.stringify({
        v: CONTROL_PROTOCOL_VERSION,
        ok: false,
        cmd: 'config',
        error: { code: 'VIW_E_CONFIG', message: 'the gateway configuration is invalid' },
      }),
    );
    return GW_EXIT.failed;
  }
  const { reply, exitCode } = await handleRequest(config, {
    env: process.env,
    stdin: process.stdin,
    diagnose: (text) => process.stderr.write(`viworks-gw: ${text}\n`),
  });
  await write(JSON.stringify(reply));
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
    // stdin may still be open (verbs without a document never read it): do not wait for it.
    process.exit(code);
  },
  () => process.exit(GW_EXIT.failed),
);
