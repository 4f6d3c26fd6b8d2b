// Hostile capture bytes through the whole reading side (pipeline.ts): random streams, random records
// behind a valid file header, and a few thousand seeded mutations of captures of real ClientHellos
// (FoxIO's published ones), cut into random chunks. Nothing throws; every line that comes out passes
// the hello-line schema with an address node:net accepts and the front-door port; and when only the
// hello's own bytes were mutated, the line carries exactly the fingerprint core/tls computes from the
// mutated bytes, or there is none: the capture never reports what the client did not send.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';
import { readClientHello } from '../../core/tls/client-hello.js';
import { fingerprintClientHello } from '../../core/tls/fingerprints.js';
import { type FrontDoorHello, frontDoorHello } from '../../core/tls/front-door-hello.js';
import { CLIENT_HELLO_VECTORS } from '../../core/tls/testing/client-hello-vectors.js';
import { LINKTYPE } from './pcap-stream.js';
import { HelloPipeline } from './pipeline.js';
import { frame, ipPacket, type LinkType, pcapStream, segmentsOf } from './testing/frames.js';

/** mulberry32: a small seeded generator, so a failure replays exactly. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PORT = 443;
const LINKS: readonly LinkType[] = [LINKTYPE.EN10MB, LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2, LINKTYPE.RAW];

/** Runs `stream` through a fresh pipeline in random chunks; checks every line it yields. */
function run(stream: Uint8Array, next: () => number): FrontDoorHello[] {
  const p = new HelloPipeline(PORT, { maxCollecting: 8, maxDone: 8 });
  const out: FrontDoorHello[] = [];
  for (let at = 0; at < stream.length; ) {
    const n = 1 + Math.floor(next() * 3000);
    out.push(...p.push(stream.subarray(at, at + n)));
    at += n;
  }
  for (const line of out) {
    assert.ok(frontDoorHello.check(line), JSON.stringify(line));
    assert.notEqual(isIP(line.src_ip), 0);
    assert.deepEqual(JSON.parse(JSON.stringify(line)), line);
  }
  return out;
}

test('random streams and random records never throw and never make a line', () => {
  const next = rng(16);
  for (let i = 0; i < 300; i++) {
    const noise = Uint8Array.from({ length: Math.floor(next() * 4000) }, () => Math.floor(next() * 256));
    assert.deepEqual(run(noise, next), []);
    const records = Array.from({ length: 1 + Math.floor(next() * 20) }, () =>
      Uint8Array.from({ length: Math.floor(next() * 600) }, () => Math.floor(next() * 256)),
    );
    run(pcapStream({ linkType: LINKS[i % LINKS.length]! }, records), next);
  }
});

test('mutated captures of real hellos: no throw, no forged field, fingerprints only of the bytes seen', () => {
  const next = rng(1604);
  let lines = 0;
  for (let i = 0; i < 3000; i++) {
    const vector = CLIENT_HELLO_VECTORS[i % CLIENT_HELLO_VECTORS.length]!;
    const hello = Buffer.from(vector.hex, 'hex');
    const link = LINKS[i % LINKS.length]!;
    const v6 = i % 3 === 0;
    const segments = segmentsOf(hello, Math.floor(next() * 2 ** 32), 64 + Math.floor(next() * 1400));
    const frames = segments.map((s) =>
      frame(
        link,
        ipPacket({
          src: v6 ? '2001:db8::7' : '198.51.100.7',
          dst: v6 ? '2001:db8::1' : '203.0.113.10',
          srcPort: 40000 + (i % 1000),
          dstPort: PORT,
          ...s,
        }),
      ),
    );
    const stream = pcapStream({ linkType: link }, frames);
    // Where each segment's payload lies in the stream: at the end of its frame (no Ethernet padding
    // behind ≥ 64 payload bytes).
    const payloadAt: number[] = [];
    let end = 24;
    for (const [k, f] of frames.entries()) {
      end += 16 + f.length;
      const len = segments[k]!.payload.length;
      for (let b = end - len; b < end; b++) payloadAt.push(b);
    }
    const onlyPayload = i % 2 === 0;
    const copy = Uint8Array.from(stream);
    for (let f = 1 + Math.floor(next() * 4); f > 0; f--) {
      const at = onlyPayload
        ? payloadAt[Math.floor(next() * payloadAt.length)]!
        : Math.floor(next() * copy.length);
      copy[at] = Math.floor(next() * 256);
    }
    const out = run(copy, next);
    lines += out.length;
    for (const line of out) assert.equal(line.dst_port, PORT);
    if (onlyPayload) {
      // Exactly the fingerprint of the bytes the client (here: the mutation) sent, or nothing.
      const sent = Uint8Array.from(payloadAt.map((at) => copy[at]!));
      const read = readClientHello(sent);
      const expected = read.state === 'complete' ? [fingerprintClientHello(read.hello)] : [];
      assert.deepEqual(
        out.map((l) => [l.ja3, l.ja4, l.src_port]),
        expected.map((f) => [f.ja3, f.ja4, 40000 + (i % 1000)]),
      );
    }
  }
  assert.ok(lines > 1000, `only ${lines} of 3000 mutated captures still made a line`);
});
