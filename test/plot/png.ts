// A PNG reader for the plot tests, written from the PNG spec (ISO/IEC 15948) independently of the
// encoder in src/plot/images.ts: chunk CRCs checked with node:zlib's crc32, the zlib stream
// inflated by node:zlib (which checks its Adler-32), rows unfiltered (types 0–4, Paeth included,
// as Chromium's screenshots use them). 8-bit greyscale, RGB and RGBA only.
import { crc32, inflateSync } from 'node:zlib';

/** A decoded image: `channels` interleaved bytes per pixel, row-major. */
export interface Png {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  pixels: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function decodePng(bytes: Uint8Array): Png {
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) throw new Error('not a PNG signature');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 8;
  let width = 0, height = 0, channels: 1 | 3 | 4 = 1;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (o < bytes.length) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const data = bytes.subarray(o + 8, o + 8 + len);
    const crc = dv.getUint32(o + 8 + len);
    if (crc32(bytes.subarray(o + 4, o + 8 + len)) !== crc) throw new Error(`bad CRC in chunk ${type}`);
    if (type === 'IHDR') {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      const depth = data[8], colour = data[9];
      if (depth !== 8) throw new Error(`bit depth ${depth} not supported`);
      channels = colour === 0 ? 1 : colour === 2 ? 3 : colour === 6 ? 4 : (() => { throw new Error(`colour type ${colour} not supported`); })();
      if (data[12] !== 0) throw new Error('interlaced PNGs not supported');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    o += 12 + len;
  }
  if (!sawEnd) throw new Error('no IEND chunk');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`inflated ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1, dst = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[dst + i - channels] : 0;
      const b = y > 0 ? out[dst - stride + i] : 0;
      const c = y > 0 && i >= channels ? out[dst - stride + i - channels] : 0;
      let pred: number;
      if (f === 0) pred = 0;
      else if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`unknown filter ${f} on row ${y}`);
      out[dst + i] = (raw[src + i] + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

/** The PNGs embedded in an SVG string as data URIs, decoded, in document order. */
export function embeddedPngs(svg: string): Png[] {
  return [...svg.matchAll(/href="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => decodePng(Buffer.from(m[1], 'base64')));
}
