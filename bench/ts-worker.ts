// Runs a TypeScript module in a worker thread under tsx (a worker does not inherit the parent's
// `--import tsx` hooks) and resolves with its answer. The module reads its input from `workerData`;
// it may post `{ mark }` messages along the way (handed to `onMark` as they arrive, e.g. to time
// phases from this side) and then posts exactly one `{ ok: true, value }` or `{ ok: false, error }`.
import { Worker } from 'node:worker_threads';

export type WorkerMessage<O> =
  | { readonly mark: string }
  | { readonly ok: true; readonly value: O }
  | { readonly ok: false; readonly error: string };

export function runTsWorker<I, O>(
  entry: URL,
  input: I,
  onMark: (mark: string) => void = () => {},
): Promise<O> {
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: input });
  return new Promise<O>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: WorkerMessage<O>) => {
      if ('mark' in m) onMark(m.mark);
      else if (m.ok) settle(() => resolve(m.value));
      else settle(() => reject(new Error(m.error)));
    });
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`worker exited (${code}) without answering`))),
    );
  });
}
