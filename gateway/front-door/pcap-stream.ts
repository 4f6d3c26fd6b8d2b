// A streaming reader of the classic pcap format (tcpdump -w -): the 24-byte file header, then one
// 16-byte record header and the captured bytes per packet. Both byte orders and both timestamp
// resolutions (µs 0xa1b2c3d4, ns 0xa1b23c4d) are read. The bytes come from our own tcpdump child,
// but they are still checked: a record longer than the file's snap length (or than MAX_RECORD_BYTES)
// means the stream cannot be trusted any further, and the reader stops for good with a reason
// instead of resynchronizing on a guess. It never throws.

/** Link types tcpdump writes on Linux for the interfaces a front door can have. */
export const LINKTYPE = { EN10MB: 1, RAW: 101, LINUX_SLL: 113, LINUX_SLL2: 276 } as const;

/** Most bytes one record may carry whatever the header's snap length says (tcpdump's own maximum). */
export const MAX_RECORD_BYTES = 262_144;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export interface PcapRecord {
  /** Capture time, milliseconds since the epoch. */
  readonly tsMs: number;
  /** The captured bytes (at most the snap length; `origLen` is the packet's length on the wire). */
  readonly data: Uint8Array;
  readonly origLen: number;
}

export interface PcapHeader {
  readonly linkType: number;
  readonly snapLen: number;
}

export class PcapReader {
  private pending: Buffer = Buffer.alloc(0);
  private header: (PcapHeader & { readonly le: boolean; readonly nanos: boolean }) | null = null;
  private problem: string | null = null;

  /** The file header once read. */
  get fileHeader(): PcapHeader | null {
    return this.header;
  }

  /** Why the reader stopped (a fixed phrase), or null while it reads. */
  get failed(): string | null {
    return this.problem;
  }

  /** The records `chunk` completes (those before a corrupt one too); [] once failed. */
  push(chunk: Uint8Array): PcapRecord[] {
    if (this.problem) return [];
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const out: PcapRecord[] = [];
    let pos = 0;
    if (!this.header) {
      if (this.pending.length < FILE_HEADER) return out;
      this.header = readFileHeader(this.pending);
      if (!this.header) return this.fail('not a pcap stream');
      pos = FILE_HEADER;
    }
    const { le, nanos, snapLen } = this.header;
    const limit = Math.min(MAX_RECORD_BYTES, snapLen > 0 ? snapLen : MAX_RECORD_BYTES);
    while (this.pending.length - pos >= RECORD_HEADER) {
      const u32 = (at: number) =>
        le ? this.pending.readUInt32LE(pos + at) : this.pending.readUInt32BE(pos + at);
      const sec = u32(0);
      const frac = u32(4);
      const inclLen = u32(8);
      const origLen = u32(12);
      // The records before it are good; nothing after it can be trusted.
      if (inclLen > limit || frac >= (nanos ? 1e9 : 1e6))
        return [...out, ...this.fail('corrupt pcap record')];
      if (this.pending.length - pos - RECORD_HEADER < inclLen) break;
      const start = pos + RECORD_HEADER;
      // A copy: the pending buffer is reused below and the record may outlive this call.
      const data = Uint8Array.prototype.slice.call(this.pending, start, start + inclLen);
      out.push({ tsMs: sec * 1000 + Math.floor(frac / (nanos ? 1e6 : 1e3)), data, origLen });
      pos = start + inclLen;
    }
    this.pending = this.pending.subarray(pos);
    return out;
  }

  private fail(problem: string): PcapRecord[] {
    this.problem = problem;
    this.pending = Buffer.alloc(0);
    return [];
  }
}

function readFileHeader(b: Buffer): (PcapHeader & { le: boolean; nanos: boolean }) | null {
  const magics: Readonly<Record<number, { nanos: boolean }>> = {
    2712847316: { nanos: false },
    2712812621: { nanos: true },
  };
  for (const le of [true, false]) {
    const magic = le ? b.readUInt32LE(0) : b.readUInt32BE(0);
    const kind = magics[magic];
    if (!kind) continue;
    const major = le ? b.readUInt16LE(4) : b.readUInt16BE(4);
    if (major !== 2) return null;
    const snapLen = le ? b.readUInt32LE(16) : b.readUInt32BE(16);
    // The link type is the word's low 16 bits; the upper ones carry FCS information (pcap spec §4).
    const linkType = (le ? b.readUInt32LE(20) : b.readUInt32BE(20)) & 0xffff;
    return { le, nanos: kind.nanos, snapLen, linkType };
  }
  return null;
}
