// A child process for body-memory.test.ts: reads a target (JSON) and a secret (bytes) from stdin,
// POSTs a JSON body carrying the secret through the real PinnedTransport, wipes the body as
// call.ts does, collects garbage twice, says "done" and waits to be killed — so the parent can
// read this process's memory. The secret never becomes a string here.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type BackendTarget, PinnedTransport } from '../pinned-transport.js';

async function stdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return all;
}

const input = await stdin();
const cut = input.indexOf(0x0a);
const target = JSON.parse(input.subarray(0, cut).toString('utf8')) as BackendTarget;
const secret = input.subarray(cut + 1);
const body = Buffer.concat([
  Buffer.from('{"password":"'),
  secret,
  Buffer.from(`","device_id":"00000000-0000-4000-8000-000000000000","pad":"${'x'.repeat(100)}"}`),
]);
input.fill(0);
const transport = new PinnedTransport(target);
for (let i = 0; i < 3; i++) {
  const copy = Buffer.from(body);
  await transport.send({ method: 'POST', path: '/auth/login', body: copy });
  copy.fill(0);
}
body.fill(0);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
gc();
await new Promise((r) => setImmediate(r));
gc();
process.stdout.write('done\n');
setInterval(() => undefined, 60_000);
