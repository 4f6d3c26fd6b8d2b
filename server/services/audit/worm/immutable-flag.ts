// FS_IMMUTABLE_FL, the flag `chattr +i` sets: while it is on, nobody — root included — can write,
// truncate, rename, link, unlink, chmod, chown or touch the file. Setting or clearing it needs
// CAP_LINUX_IMMUTABLE. It is read and written with ioctl(2) on an open fd, through koffi (the FFI
// the daemon already uses, daemon/hardening/libc.ts) rather than by spawning chattr.
//
// The ioctl numbers. include/uapi/linux/fs.h defines
//   FS_IOC_GETFLAGS = _IOR('f', 1, long)    FS_IOC_SETFLAGS = _IOW('f', 2, long)
// and asm-generic/ioctl.h (used by both x86_64 and aarch64) encodes _IOC(dir, type, nr, size) as
//   dir << 30 | size << 16 | type << 8 | nr,  _IOC_READ = 2, _IOC_WRITE = 1,
// so with sizeof(long) = 8 on both: GETFLAGS = 0x80086601, SETFLAGS = 0x40086602. The `long` in the
// name is a historical mistake: fs/ioctl.c moves an `int` through the pointer (get_user/put_user on
// an int __user *), so we pass a buffer and read/write a 32-bit int in native byte order. 32-bit
// ABIs (size 4) and architectures with another _IOC layout (ppc, mips, sparc) are refused rather
// than guessed.
import { closeSync, constants, openSync } from 'node:fs';
import { endianness } from 'node:os';

export const FS_IMMUTABLE_FL = 0x10;
export const FS_APPEND_FL = 0x20;

const IOC_READ = 2;
const IOC_WRITE = 1;
const F = 'f'.charCodeAt(0);
const SIZEOF_LONG: Readonly<Record<string, number>> = { x64: 8, arm64: 8 };

/** The two ioctl request numbers on `arch` (a `process.arch` value); throws where not known. */
export function flagIoctls(arch: string): { getFlags: number; setFlags: number } {
  const size = SIZEOF_LONG[arch];
  if (size === undefined) throw new ImmutableFlagError(`ioctl on ${arch}`, 'ENOSYS', 'unsupported');
  const ioc = (dir: number, nr: number) => ((dir << 30) >>> 0) + ((size << 16) | (F << 8) | nr);
  return { getFlags: ioc(IOC_READ, 1), setFlags: ioc(IOC_WRITE, 2) };
}

/**
 * Why a flag operation failed, in the terms an operator acts on: `no-capability` (EPERM: the
 * process lacks CAP_LINUX_IMMUTABLE), `unsupported` (ENOTTY, EOPNOTSUPP, EINVAL: the filesystem has
 * no such flag, e.g. ramfs, NFS, FAT; or an unknown architecture), `read-only` (EROFS), `other`.
 */
export type FlagFailure = 'no-capability' | 'unsupported' | 'read-only' | 'other';

export class ImmutableFlagError extends Error {
  constructor(
    readonly call: string,
    /** errno by name (`EPERM`). */
    readonly errno: string,
    readonly failure: FlagFailure,
  ) {
    super(`${call}: ${errno}`);
    this.name = 'ImmutableFlagError';
  }
}

export function failureOf(errno: string): FlagFailure {
  if (errno === 'EPERM') return 'no-capability';
  if (['ENOTTY', 'EOPNOTSUPP', 'ENOTSUP', 'EINVAL', 'ENOSYS'].includes(errno)) return 'unsupported';
  if (errno === 'EROFS') return 'read-only';
  return 'other';
}

export interface InodeFlags {
  /** The inode's FS_*_FL bits. */
  get(fd: number): number;
  /** Turns `mask` on (read-modify-write: ext4 refuses a SETFLAGS that drops FS_EXTENT_FL). */
  set(fd: number, mask?: number): void;
  /** Turns `mask` off; default FS_IMMUTABLE_FL. */
  clear(fd: number, mask?: number): void;
  isImmutable(fd: number): boolean;
}

let cached: Promise<InodeFlags> | null = null;

/** The binding (loaded once); rejects off Linux, on an unknown architecture or without koffi. */
export function inodeFlags(): Promise<InodeFlags> {
  cached ??= bind();
  cached.catch(() => {
    cached = null;
  });
  return cached;
}

async function bind(): Promise<InodeFlags> {
  if (process.platform !== 'linux') throw new ImmutableFlagError('ioctl', 'ENOSYS', 'unsupported');
  const { getFlags, setFlags } = flagIoctls(process.arch);
  const { default: koffi } = await import('koffi');
  const ioctl = koffi.load(null).func('int ioctl(int fd, unsigned long request, ...)');
  const names = new Map(Object.entries(koffi.os.errno).map(([name, n]) => [n, name]));
  const little = endianness() === 'LE';

  const call = (fd: number, request: number, name: string, value: number): number => {
    const arg = Buffer.alloc(8);
    if (little) arg.writeInt32LE(value, 0);
    else arg.writeInt32BE(value, 0);
    if (ioctl(fd, request, 'void *', arg) === -1) {
      const errno = names.get(koffi.errno()) ?? `errno ${koffi.errno()}`;
      throw new ImmutableFlagError(name, errno, failureOf(errno));
    }
    return little ? arg.readInt32LE(0) : arg.readInt32BE(0);
  };
  const get = (fd: number) => call(fd, getFlags, 'FS_IOC_GETFLAGS', 0);
  const put = (fd: number, flags: number) => void call(fd, setFlags, 'FS_IOC_SETFLAGS', flags);

  return {
    get,
    set(fd, mask = FS_IMMUTABLE_FL) {
      const now = get(fd);
      if ((now & mask) !== mask) put(fd, now | mask);
    },
    clear(fd, mask = FS_IMMUTABLE_FL) {
      const now = get(fd);
      if ((now & mask) !== 0) put(fd, now & ~mask);
    },
    isImmutable: (fd) => (get(fd) & FS_IMMUTABLE_FL) !== 0,
  };
}

/**
 * Runs `fn` on an fd of `path` opened read-only (enough for both ioctls), never following a symlink
 * and never blocking on a FIFO, so a planted link cannot steer a flag change outside the archive.
 */
export function withInodeFd<T>(path: string, fn: (fd: number) => T): T {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}
