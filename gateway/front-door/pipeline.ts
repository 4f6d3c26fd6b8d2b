// The capture's reading side, without the process: pcap bytes in, hello lines out. The pcap reader
// (pcap-stream.ts) → the frame decoder (packet.ts) → per-connection reassembly (flows.ts) → the
// fingerprinted, schema-checked line (hello-line.ts). Never throws, whatever the bytes.
import type { FrontDoorHello } from '../../core/tls/front-door-hello.js';
import { type AssemblerLimits, HelloAssembler } from './flows.js';
import { helloLine } from './hello-line.js';
import { decodeFrame } from './packet.js';
import { PcapReader } from './pcap-stream.js';

export class HelloPipeline {
  private readonly reader = new PcapReader();
  private readonly flows: HelloAssembler;

  constructor(port: number, limits: AssemblerLimits = {}) {
    this.flows = new HelloAssembler(port, limits);
  }

  /** Why the stream cannot be read any further (then push returns nothing), or null. */
  get failed(): string | null {
    return this.reader.failed;
  }

  push(chunk: Uint8Array): FrontDoorHello[] {
    const out: FrontDoorHello[] = [];
    for (const record of this.reader.push(chunk)) {
      const linkType = this.reader.fileHeader?.linkType;
      const segment = linkType === undefined ? null : decodeFrame(linkType, record.data);
      const seen = segment ? this.flows.segment(segment, record.tsMs) : null;
      const line = seen ? helloLine(seen) : null;
      if (line) out.push(line);
    }
    return out;
  }
}
