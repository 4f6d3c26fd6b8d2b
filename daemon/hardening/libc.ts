// The libc calls of process-hardening.ts, through koffi (a maintained FFI whose prebuilt binaries
// come inside npm packages, one per platform; README#dependencies): prctl (variadic in libc, called
// as such), getrlimit and setrlimit (struct rlimit: two rlim_t, unsigned long on Linux), and mlock
// (the pages under one secret buffer: core/crypto/bytes.ts secretBytes). Symbols are
// looked up in the running process (dlopen(NULL)), so glibc and musl both work. Loaded on first use
// and on Linux only: other platforms never load native code for this.
import { readFileSync } from 'node:fs';
import { type HardeningSyscalls, type Rlimit, SyscallError } from './process-hardening.js';

let cached: Promise<HardeningSyscalls> | null = null;

/** The real syscalls (Linux); rejects when koffi or a symbol cannot be loaded. */
export function libcSyscalls(): Promise<HardeningSyscalls> {
  cached ??= bind();
  return cached;
}

async function bind(): Promise<HardeningSyscalls> {
  if (process.platform !== 'linux') throw new Error(`process hardening: not on ${process.platform}`);
  const { default: koffi } = await import('koffi');
  const libc = koffi.load(null);
  const rlimit = koffi.struct({ rlim_cur: 'unsigned long', rlim_max: 'unsigned long' });
  const prctl = libc.func('int prctl(int option, ...)');
  const getrlimit = libc.func('getrlimit', 'int', ['int', koffi.out(koffi.pointer(rlimit))]);
  const setrlimit = libc.func('setrlimit', 'int', ['int', koffi.pointer(rlimit)]);
  const mlock = libc.func('int mlock(void *addr, size_t len)');
  const names = new Map(Object.entries(koffi.os.errno).map(([name, n]) => [n, name]));
  const fail = (call: string): never => {
    const n = koffi.errno();
    throw new SyscallError(call, names.get(n) ?? `errno ${n}`);
  };
  const ul = (v: number) => ['unsigned long', v] as const;

  return {
    prctl(option: number, arg2: number): number {
      const r = prctl(option, ...ul(arg2), ...ul(0), ...ul(0), ...ul(0)) as number;
      return r === -1 ? fail(`prctl(${option})`) : r;
    },
    getrlimit(resource: number): Rlimit {
      const out: { rlim_cur?: number | bigint; rlim_max?: number | bigint } = {};
      if (getrlimit(resource, out) !== 0) fail(`getrlimit(${resource})`);
      return { cur: BigInt(out.rlim_cur ?? -1), max: BigInt(out.rlim_max ?? -1) };
    },
    setrlimit(resource: number, limit: Rlimit): void {
      if (setrlimit(resource, { rlim_cur: limit.cur, rlim_max: limit.max }) !== 0) {
        fail(`setrlimit(${resource})`);
      }
    },
    mlock(buf: Uint8Array): void {
      // koffi passes a Buffer's data pointer for void *; the kernel rounds to whole pages.
      if (mlock(buf, buf.byteLength) !== 0) fail('mlock');
    },
    readText: (path: string) => readFileSync(path, 'utf8'),
  };
}
