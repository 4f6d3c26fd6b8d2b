// Runs a test file under viworksd's process hardening, to check that what the daemon starts still
// works under it — chiefly the real OpenVPN 2.6 test:
//   node --import tsx --import ./daemon/hardening/testing/preload.ts daemon/datapath/openvpn/runner.test.ts
// It applies the hardening to this process (the same applyHardening viworksd runs; any step that does
// not hold aborts), then samples the openvpn processes among its descendants every 100 ms and prints,
// at exit, what each one ran with: NoNewPrivs (inherited, so 1), its effective capabilities.
import { readdirSync, readFileSync } from 'node:fs';
import { libcSyscalls } from '../libc.js';
import { applyHardening } from '../process-hardening.js';

const state = applyHardening(await libcSyscalls());
if (state.failures.length > 0) throw new Error(`hardening failed: ${state.failures.join('; ')}`);
process.stderr.write(`[hardened] ${JSON.stringify(state.posture)}\n`);

const field = (status: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1];
/** pid → ppid for every process now. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.set(Number(name), Number(field(readFileSync(`/proc/${name}/status`, 'utf8'), 'PPid')));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}
const seen = new Map<number, string>();
const sample = () => {
  const pp = parents();
  for (const pid of pp.keys()) {
    let p: number | undefined = pid;
    while (p && p !== process.pid) p = pp.get(p);
    if (p !== process.pid) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (field(status, 'Name') !== 'openvpn') continue;
      seen.set(
        pid,
        `NoNewPrivs=${field(status, 'NoNewPrivs')} Uid=${field(status, 'Uid')?.replace(/\s+/g, ' ')} CapEff=${field(status, 'CapEff')}`,
      );
    } catch {
      // Gone meanwhile.
    }
  }
};
setInterval(sample, 100).unref();
process.on('exit', () => {
  const lines = [...seen].map(([pid, what]) => `  openvpn pid ${pid}: ${what}`);
  process.stderr.write(`[hardened] openvpn processes seen: ${seen.size}\n${lines.join('\n')}\n`);
});
