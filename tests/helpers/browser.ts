/**
 * Headless Chromium for browser tests (playwright-core driving Debian's /usr/bin/chromium), and a
 * tiny PNG reader for pixel checks on screenshots. A missing browser is a failure with
 * instructions, never a skip.
 */
import fs from 'fs';
import zlib from 'zlib';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches a fresh headless Chromium (launch() implies a throwaway user-data dir). */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it with 'apt-get install chromium' ` +
        '(or point CHROMIUM_PATH at a Chromium binary); browser tests never skip',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 30_000 });
}

export interface Pixels {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major. */
  rgba: Uint8Array;
}

/** Decodes an 8-bit, non-interlaced greyscale/RGB/RGBA PNG (what Chromium's screenshots are). */
export function decodePng(png: Buffer): Pixels {
  const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  for (let off = 8; off + 8 <= png.length;) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      colorType = data[9];
      const interlace = data[12];
      if (depth !== 8 || interlace !== 0 || ![0, 2, 4, 6].includes(colorType)) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`);
      }
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? cur[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      cur[x] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const i = x * channels;
      if (channels >= 3) {
        out[o] = cur[i];
        out[o + 1] = cur[i + 1];
        out[o + 2] = cur[i + 2];
        out[o + 3] = channels === 4 ? cur[i + 3] : 255;
      } else {
        out[o] = out[o + 1] = out[o + 2] = cur[i];
        out[o + 3] = channels === 2 ? cur[i + 1] : 255;
      }
    }
    prev = cur;
  }
  return { width, height, rgba: out };
}

export interface PixelStats {
  width: number;
  height: number;
  /** Distinct RGB colours (capped count is exact below a few hundred thousand). */
  distinctColours: number;
  /** Share of pixels that are not the most common colour (0: a uniform image). */
  nonBackgroundShare: number;
  /** Share of pixels that are dark (luma < 110): text and ink. */
  darkShare: number;
}

export function pixelStats(png: Buffer): PixelStats {
  const { width, height, rgba } = decodePng(png);
  const counts = new Map<number, number>();
  let dark = 0;
  const n = width * height;
  for (let p = 0; p < n; p++) {
    const r = rgba[p * 4];
    const g = rgba[p * 4 + 1];
    const b = rgba[p * 4 + 2];
    const key = (r << 16) | (g << 8) | b;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (0.299 * r + 0.587 * g + 0.114 * b < 110) dark++;
  }
  let top = 0;
  for (const c of counts.values()) top = Math.max(top, c);
  return {
    width,
    height,
    distinctColours: counts.size,
    nonBackgroundShare: n ? 1 - top / n : 0,
    darkShare: n ? dark / n : 0,
  };
}
