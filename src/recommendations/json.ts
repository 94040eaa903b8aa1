/**
 * The recommendation answer as JSON (UTF-8 bytes), written field by field into one scratch buffer and
 * copied out in one piece: cheaper on the hot path than JSON.stringify's generic walk or string
 * concatenation (docs/performance.md). Plain ASCII is copied byte by byte; any string JSON would
 * escape, or that is not ASCII, goes through JSON.stringify, so the output is byte-for-byte
 * JSON.stringify(rec) in UTF-8 (json.test.ts checks it on random answers).
 */
import type { Recommendation } from './service';

/**
 * Appends JSON to a buffer kept across calls (answers are written one at a time; bytes() copies the
 * result out), growing it when an answer does not fit.
 */
class JsonWriter {
  private buf = Buffer.allocUnsafeSlow(4096);
  private at = 0;

  reset(): this {
    this.at = 0;
    return this;
  }

  /** `s` is ASCII and needs no escaping (the writer's own keys and punctuation, numbers). */
  raw(s: string): this {
    const n = s.length;
    if (this.at + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let at = this.at;
    for (let k = 0; k < n; k++) b[at++] = s.charCodeAt(k);
    this.at = at;
    return this;
  }

  str(s: string): this {
    const n = s.length;
    if (this.at + n + 2 > this.buf.length) this.grow(n + 2);
    const b = this.buf;
    let at = this.at;
    b[at++] = 0x22;
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k);
      // Controls, quote, backslash or beyond ASCII: JSON.stringify's escaping and UTF-8 (the
      // partly written string is overwritten, `at` was not stored yet).
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return this.escaped(s);
      b[at++] = c;
    }
    b[at++] = 0x22;
    this.at = at;
    return this;
  }

  num(x: number): this {
    return this.raw(Number.isFinite(x) ? String(x) : 'null');
  }

  /** A copy of what was written (from Node's shared pool for small answers). */
  bytes(): Buffer {
    const out = Buffer.allocUnsafe(this.at);
    this.buf.copy(out, 0, 0, this.at);
    return out;
  }

  private escaped(s: string): this {
    const json = JSON.stringify(s);
    if (this.at + json.length * 3 > this.buf.length) this.grow(json.length * 3);
    this.at += this.buf.write(json, this.at, 'utf8');
    return this;
  }

  /** Makes room for `n` more bytes (an upper bound), keeping what was written. */
  private grow(n: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

const writer = new JsonWriter();

export function recommendationJson(rec: Recommendation): Buffer {
  const w = writer.reset();
  w.raw('{"userId":').str(rec.userId);
  w.raw(',"segment":').str(rec.segment);
  w.raw(',"modelVersion":').str(rec.modelVersion);
  w.raw(',"recommendationId":').str(rec.recommendationId);
  w.raw(',"variant":').str(rec.variant);
  w.raw(',"placement":').str(rec.placement);
  w.raw(rec.degraded ? ',"degraded":true,"items":[' : ',"degraded":false,"items":[');
  const items = rec.items;
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    w.raw(k ? ',{"itemId":' : '{"itemId":').str(it.itemId);
    w.raw(',"score":').num(it.score);
    w.raw(',"source":').str(it.source);
    w.raw('}');
  }
  return w.raw(']}').bytes();
}
