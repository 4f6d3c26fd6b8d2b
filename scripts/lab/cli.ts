// scripts/lab.sh → this file. Commands:
//   up [--id N] [--json]        build the lab (idempotent)            down [--id N]   remove everything
//   status [--id N] [--json]    what is running                       demo [--id N]   up + enroll + connect
//   viworks [--id N] -- ARGS…   viworks in the client namespace      exec <host> [--id N] -- CMD…   run CMD there
//   driver <step> --id N        (internal: runs inside the client namespace; see driver.ts)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backendConfig } from './backend.js';
import {
  approveAsSecondAdmin,
  clientEnv,
  connectDemo,
  enrollDemo,
  otpStuffingDemo,
  phoneCode,
  registerGateway,
  setupAdmin,
  viworks,
} from './driver.js';
import { spaKnock } from './far-client.js';
import { driverStep, labDown, labExec, labStatus, labUp, type SelfCommand } from './lab.js';
import { labPlan } from './plan.js';
import { repoPath } from './repo.js';

const USAGE = `usage: lab.sh <up|down|status|demo|exec> [--id N] [--json]
  up       build the lab: router, backend, gateway, client namespaces; backend provisions the gateway over SSH
  demo     up, then enroll a demo device, log in with the phone simulator and connect
  status   what is running
  down     stop every lab process and remove the namespaces and files
  viworks -- ARGS...   run \`viworks ARGS\` in the client namespace (its daemon, the lab's admin session)
  exec <client|gateway|backend|router|internal|internal-b> -- CMD...   run CMD inside that namespace`;

const self: SelfCommand = { argv: [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)] };

function out(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

const progress = (json: boolean) => (msg: string) => {
  if (!json) process.stderr.write(`==> ${msg}\n`);
};

async function driver(step: string, id: number, rest: readonly string[]): Promise<void> {
  const plan = labPlan(id);
  let result: unknown = { ok: true };
  if (step === 'setup-admin') await setupAdmin(plan);
  else if (step === 'register-gateway') result = await registerGateway(plan);
  else if (step === 'enroll-demo') result = await enrollDemo(plan);
  else if (step === 'connect-demo') result = await connectDemo(plan);
  // The code the phone shows now, read like a person (front-end tests type it themselves).
  else if (step === 'phone-code') result = { code: await phoneCode(plan, null) };
  else if (step === 'status') result = await viworks(plan, ['status']);
  else if (step === 'disconnect') result = await viworks(plan, ['disconnect']);
  // Dual approval (issue #14): `driver approve-as-second-admin --id N -- CHANGE_ID`.
  else if (step === 'approve-as-second-admin') result = await approveAsSecondAdmin(plan, rest[0] ?? '');
  // The SIEM test plan (docs/detections.md): `driver otp-stuffing --id N -- ATTEMPTS`.
  else if (step === 'otp-stuffing') result = await otpStuffingDemo(plan, Number(rest[0] ?? 10));
  // `driver spa-knock --id N -- KEYS_FILE REPEATS` (far-client.ts: keys in a 0600 file, never argv).
  else if (step === 'spa-knock') result = await spaKnock(plan, rest[0] ?? '', Number(rest[1] ?? 0));
  else throw new Error(`unknown driver step ${step}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function demo(id: number, json: boolean): Promise<number> {
  const up = await labUp(id, self, progress(json));
  const plan = up.plan;
  let enrolled: unknown = null;
  if (existsSync(join(plan.dirs.client, 'demo-user.json'))) {
    progress(json)('the demo device is already enrolled');
  } else {
    progress(json)('enroll a demo device (admin creates user + fleet token, phone simulator binds) …');
    enrolled = JSON.parse(await driverStep(plan, self, 'enroll-demo'));
  }
  progress(json)('viworks connect (password, then the code from the phone simulator) …');
  const connect = JSON.parse(await driverStep(plan, self, 'connect-demo')) as {
    code: number;
    json: { timings?: Record<string, number | null>; error?: unknown } & Record<string, unknown>;
  };
  const status = JSON.parse(await driverStep(plan, self, 'status')) as { json: Record<string, unknown> };
  if (json) {
    out(true, { v: 1, lab: up.timings_ms, device: enrolled, connect: connect.json, status: status.json }, '');
    return connect.code === 0 ? 0 : 1;
  }
  if (connect.code !== 0) {
    process.stdout.write(`\nviworks connect FAILED: ${JSON.stringify(connect.json.error)}\n`);
    process.stdout.write(`logs: ${plan.dirs.logs}/ — tear down with: scripts/lab.sh down\n`);
    return 1;
  }
  const config = await backendConfig(plan);
  const t = connect.json.timings ?? {};
  const ms = (v: number | null | undefined) => (typeof v === 'number' ? `${v} ms` : 'n/a');
  const v = `${process.execPath} ${repoPath('dist/cli/bin/viworks.js')}`;
  process.stdout.write(
    `\nConnected end to end: SPA → TLS 1.3 (pinned) → OpenVPN, on this machine.\n` +
      `  backend  ${config.mode} mode (viworks-server print-config); phones trusted only with a verified attestation (packed, the lab's attestation root)\n` +
      `  lab      router, backend ${plan.backendName}, gateway ${plan.gatewayFqdn}, client, internal networks ${plan.internal.network} and ${plan.internalB.network} (namespaces viwlab${id}-*)\n` +
      `  setup    ${
        Object.entries(up.timings_ms)
          .map(([k, x]) => `${k} ${x} ms`)
          .join(' · ') || 'reused the running lab'
      }\n` +
      `  connect  login ${ms(t.login_ms)} · bootstrap ${ms(t.bootstrap_ms)} · SPA ${ms(t.spa_ms)} · TLS handshake ${ms(t.tls_handshake_ms)} · OpenVPN up ${ms(t.openvpn_ms)} · total ${ms(t.total_connect_ms)} (from the accepted code to OpenVPN up)\n\n`,
  );
  await labExec(id, 'client', [
    '/usr/bin/env',
    '-i',
    ...Object.entries(clientEnv(plan)).map(([k, x]) => `${k}=${x}`),
    ...v.split(' '),
    'status',
  ]);
  process.stdout.write(
    `\nNext:\n` +
      `  scripts/lab.sh viworks -- status --json        the client's state (any viworks command, run in the client namespace)\n` +
      `  scripts/lab.sh exec client -- curl -s http://${plan.internal.address}:${plan.tunnelServicePort}/   an internal service, reachable only through the tunnel\n` +
      `  scripts/lab.sh viworks -- admin sessions list  the admin's view (the lab admin is logged in)\n` +
      `  scripts/lab.sh viworks -- doctor               the netcheck-style report (daemon, backend + pin, clock, tun, DNS)\n` +
      `  scripts/lab.sh viworks -- disconnect           end the session\n` +
      `  scripts/lab.sh down                            remove the lab: processes, namespaces, files\n`,
  );
  return 0;
}

/** `viworks …` inside the client namespace, with the lab's daemon socket and admin session. */
function viworksInLab(id: number, args: readonly string[]): Promise<number> {
  const plan = labPlan(id);
  const env = Object.entries(clientEnv(plan)).map(([k, x]) => `${k}=${x}`);
  return labExec(id, 'client', [
    '/usr/bin/env',
    '-i',
    ...env,
    process.execPath,
    repoPath('dist/cli/bin/viworks.js'),
    ...args,
  ]);
}

async function main(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const rest = dash >= 0 ? argv.slice(dash + 1) : [];
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      id: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const id = Number(values.id);
  const json = values.json ?? false;
  const [cmd, arg] = positionals;
  if (values.help || !cmd) {
    process.stdout.write(`${USAGE}\n`);
    return cmd ? 0 : 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('lab.sh: must run as root (it creates network namespaces)\n');
    return 2;
  }
  switch (cmd) {
    case 'up': {
      const r = await labUp(id, self, progress(json));
      out(
        json,
        {
          v: 1,
          id,
          reused: r.reused,
          timings_ms: r.timings_ms,
          backend_url: r.state.backend.url,
          gateway_fqdn: r.plan.gatewayFqdn,
        },
        r.reused ? `lab ${id} is already up` : `lab ${id} is up`,
      );
      return 0;
    }
    case 'down':
      await labDown(id);
      out(json, { v: 1, id, down: true }, `lab ${id} is down`);
      return 0;
    case 'status': {
      const s = await labStatus(id);
      out(json, { v: 1, ...s }, JSON.stringify(s, null, 2));
      return s.up ? 0 : 3;
    }
    case 'demo':
      return demo(id, json);
    case 'viworks':
      return viworksInLab(id, rest);
    case 'exec':
      if (
        !arg ||
        !['client', 'gateway', 'backend', 'router', 'internal', 'internal-b'].includes(arg) ||
        rest.length === 0
      ) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
      }
      return labExec(id, arg as 'client', rest);
    case 'driver':
      if (!arg) return 2;
      await driver(arg, id, rest);
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`lab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
