// The app's icons, drawn at build time (no image files in the repository): a white key-hole on the
// brand colour. PNG encoding is the format's minimum — RGBA, one IDAT, filter 0 — over node:zlib.
import { crc32, deflateSync } from 'node:zlib';

const ACCENT = [0x0b, 0x3d, 0x2e] as const;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function png(
  size: number,
  pixel: (x: number, y: number) => readonly [number, number, number, number],
): Buffer {
  const rows = Buffer.alloc(size * (1 + size * 4));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 4);
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x, y);
      rows.set([r, g, b, a], row + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A key-hole (circle over a tapered slot) of the given scale, centred; white on the accent. */
function keyhole(size: number, scale: number) {
  const c = size / 2;
  const r = size * 0.16 * scale;
  return (x: number, y: number) => {
    const dx = x + 0.5 - c;
    const dy = y + 0.5 - (c - size * 0.06 * scale);
    const inCircle = dx * dx + dy * dy <= r * r;
    const t = (y + 0.5 - c) / (size * 0.3 * scale);
    const inSlot = t >= 0 && t <= 1 && Math.abs(dx) <= r * (0.45 + 0.35 * t);
    return inCircle || inSlot ? ([255, 255, 255, 255] as const) : ([...ACCENT, 255] as const);
  };
}

export function appIcons(): Record<string, Buffer> {
  return {
    'icon-192.png': png(192, keyhole(192, 1)),
    'icon-512.png': png(512, keyhole(512, 1)),
    // Maskable: the platform crops to its own shape; keep the glyph inside the 80 % safe zone.
    'icon-512-maskable.png': png(512, keyhole(512, 0.8)),
  };
}
