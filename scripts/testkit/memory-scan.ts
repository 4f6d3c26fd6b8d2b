// Reads a live process's writable memory (root: /proc/<pid>/maps + /proc/<pid>/mem) and looks for
// byte strings in it — what a reviewer does to check that a daemon forgot its session's secrets.
// Only private writable mappings are read (heap, anonymous regions, stacks, the writable parts of
// libraries): that is where a process keeps data; code and read-only files are skipped.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export interface Needle {
  readonly name: string;
  readonly bytes: Buffer;
}

/** The process's private writable regions, each read whole (unreadable ones skipped). */
export function writableRegions(pid: number): Buffer[] {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter(Boolean);
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const out: Buffer[] = [];
  try {
    for (const line of maps) {
      const [range = '', perms = '', , , , path = ''] = line.split(/\s+/);
      if (!perms.startsWith('rw') || perms[3] !== 'p' || path === '[vvar]' || path === '[vsyscall]') continue;
      const [from, to] = range.split('-').map((h) => Number.parseInt(h, 16)) as [number, number];
      const len = to - from;
      if (len <= 0 || len > 2 ** 31) continue;
      const buf = Buffer.alloc(len);
      try {
        readSync(fd, buf, 0, len, from);
        out.push(buf);
      } catch {
        // A region unmapped meanwhile, or guard pages: nothing to read.
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** The names of the needles found anywhere in `regions`. */
export function needlesFound(regions: readonly Buffer[], needles: readonly Needle[]): string[] {
  return needles
    .filter((n) => n.bytes.length >= 16 && regions.some((r) => r.includes(n.bytes)))
    .map((n) => n.name);
}

/** The forms a secret can take in memory: raw, base64 (with and without padding), hex (both cases). */
export function formsOf(name: string, raw: Buffer): Needle[] {
  const b64 = raw.toString('base64');
  return [
    { name: `${name} (raw)`, bytes: raw },
    { name: `${name} (base64)`, bytes: Buffer.from(b64.replace(/=+$/, '')) },
    { name: `${name} (hex)`, bytes: Buffer.from(raw.toString('hex')) },
    { name: `${name} (HEX)`, bytes: Buffer.from(raw.toString('hex').toUpperCase()) },
  ];
}

/** The PEM private-key blocks in `regions` (their base64 bodies, joined without newlines). */
export function pemPrivateKeyBodies(regions: readonly Buffer[]): string[] {
  const found = new Set<string>();
  const re = /-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=\n]{40,4000}?)-----END PRIVATE KEY-----/g;
  for (const r of regions) {
    let at = r.indexOf('-----BEGIN PRIVATE KEY-----');
    while (at >= 0) {
      const text = r.subarray(at, at + 4200).toString('latin1');
      re.lastIndex = 0;
      const m = re.exec(text);
      if (m?.[1]) found.add(m[1].replace(/\n/g, ''));
      at = r.indexOf('-----BEGIN PRIVATE KEY-----', at + 1);
    }
  }
  return [...found];
}
