// scripts/lab.sh → this file. Commands:
//   up [--id N] [--json]        build the lab (idempotent)            down [--id N]   remove everything
//   status [--id N] [--json]    what is running                       demo [--id N]   up + enroll + connect
//   exec <client|gateway|backend|router> [--id N] -- CMD…           run CMD inside that namespace
//   driver <step> --id N        (internal: runs inside the client namespace; see driver.ts)
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectDemo, enrollDemo, registerGateway, setupAdmin, viworks } from './driver.js';
import { driverStep, labDown, labExec, labStatus, labUp, type SelfCommand } from './lab.js';
import { labPlan } from './plan.js';

const USAGE = `usage: lab.sh <up|down|status|demo|exec> [--id N] [--json]
  up       build the lab: router, backend, gateway, client namespaces; backend provisions the gateway over SSH
  demo     up, then enroll a demo device, log in with the phone simulator and connect
  status   what is running
  down     stop every lab process and remove the namespaces and files
  exec <client|gateway|backend|router> -- CMD...   run CMD inside that namespace`;

const self: SelfCommand = { argv: [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)] };

function out(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

const progress = (json: boolean) => (msg: string) => {
  if (!json) process.stderr.write(`==> ${msg}\n`);
};

async function driver(step: string, id: number): Promise<void> {
  const plan = labPlan(id);
  let result: unknown = { ok: true };
  if (step === 'setup-admin') await setupAdmin(plan);
  else if (step === 'register-gateway') result = await registerGateway(plan);
  else if (step === 'enroll-demo') result = await enrollDemo(plan);
  else if (step === 'connect-demo') result = await connectDemo(plan);
  else if (step === 'status') result = await viworks(plan, ['status']);
  else if (step === 'disconnect') result = await viworks(plan, ['disconnect']);
  else throw new Error(`unknown driver step ${step}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function demo(id: number, json: boolean): Promise<number> {
  const up = await labUp(id, self, progress(json));
  const plan = up.plan;
  progress(json)('enroll a demo device (admin creates user + fleet token, phone simulator binds) …');
  const enrolled = JSON.parse(await driverStep(plan, self, 'enroll-demo'));
  progress(json)('viworks connect (password, then the code from the phone simulator) …');
  const connect = JSON.parse(await driverStep(plan, self, 'connect-demo')) as {
    code: number;
    json: Record<string, unknown>;
  };
  const status = JSON.parse(await driverStep(plan, self, 'status')) as { json: Record<string, unknown> };
  const result = { v: 1, lab: up.timings_ms, device: enrolled, connect: connect.json, status: status.json };
  if (json) out(true, result, '');
  else {
    process.stdout.write(`\nviworks connect → ${connect.code === 0 ? 'connected' : 'FAILED'}\n`);
    process.stdout.write(
      `${JSON.stringify(connect.json, null, 2)}\n\nviworks status:\n${JSON.stringify(status.json, null, 2)}\n`,
    );
    process.stdout.write(
      `\nThe demo device is connected through the gateway ${plan.gatewayFqdn} (SPA → TLS 1.3 → OpenVPN).\n` +
        `  try:        scripts/lab.sh exec client -- curl -s http://${plan.internal.address}:${plan.tunnelServicePort}/   (an internal service, reachable only through the tunnel)\n` +
        `  status:     scripts/lab.sh exec client -- env VIWORKSD_SOCKET=${plan.dirs.client}/viworksd.sock node dist/cli/bin/viworks.js status\n` +
        `  disconnect: scripts/lab.sh exec client -- env VIWORKSD_SOCKET=${plan.dirs.client}/viworksd.sock node dist/cli/bin/viworks.js disconnect\n` +
        `  tear down:  scripts/lab.sh down\n`,
    );
  }
  return connect.code === 0 ? 0 : 1;
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
    case 'exec':
      if (!arg || !['client', 'gateway', 'backend', 'router'].includes(arg) || rest.length === 0) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
      }
      return labExec(id, arg as 'client', rest);
    case 'driver':
      if (!arg) return 2;
      await driver(arg, id);
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
