// What filesystem a directory is on (statfs f_type), for the start-up probe's messages and for one
// refusal of its own: tmpfs and ramfs live in memory, so a "write-once" copy there is gone at the
// next reboot. Since Linux 6.0 tmpfs even honours FS_IMMUTABLE_FL, so the flag probe alone would
// accept it.
import { statfs } from 'node:fs/promises';

const NAMES: ReadonlyMap<number, string> = new Map([
  [0xef53, 'ext2/ext3/ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0xf2f52010, 'f2fs'],
  [0x2fc12fc1, 'zfs'],
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
  [0x794c7630, 'overlay'],
  [0x6969, 'nfs'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x65735546, 'fuse'],
  [0x4d44, 'vfat'],
  [0x73717368, 'squashfs'],
]);

const VOLATILE = new Set(['tmpfs', 'ramfs']);

export interface FilesystemKind {
  /** A name such as `ext2/ext3/ext4` or `tmpfs`; `0x…` (the magic number) when not known here. */
  readonly name: string;
  /** Held in memory only: emptied at reboot. */
  readonly volatile: boolean;
}

export async function filesystemOf(dir: string): Promise<FilesystemKind> {
  const { type } = await statfs(dir);
  const name = NAMES.get(type) ?? `0x${type.toString(16)}`;
  return { name, volatile: VOLATILE.has(name) };
}
