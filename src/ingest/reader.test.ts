import fs from 'fs';
import os from 'os';
import path from 'path';
import { NotFoundError } from '../errors';
import { ImportHeaderError, MAX_LINE_BYTES } from './formats';
import { type ParsedBatch, readAllEvents, readEventFile, readLines } from './reader';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recs-reader-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

async function collect(iter: AsyncIterable<ParsedBatch>): Promise<ParsedBatch[]> {
  const out: ParsedBatch[] = [];
  for await (const batch of iter) out.push(batch);
  return out;
}

describe('readEventFile', () => {
  const huge = `u9,i9,view,${'1'.repeat(MAX_LINE_BYTES)}`;
  const content =
    '\uFEFFuserId,itemId,type,timestamp,category\r\n' + // 1
    'u1,i1,view,100,c1\r\n' + // 2
    'u1,i2,view,50,\r\n' + // 3
    'broken line\r\n' + // 4
    '\r\n' + // 5 blank
    `${huge}\r\n` + // 6 too long
    'u2,i1,cart,20,\r\n' + // 7
    'u2,i1,purchase,30,c1\r\n' + // 8
    'u3,i3,fav,40,c3'; // 9, no final newline

  it('streams batches with 1-based line numbers, tolerating a BOM, CRLF and a huge line', async () => {
    const p = file('mixed.csv', content);
    const batches = await collect(readEventFile(p, 'events-csv', { batchSize: 3 }));
    const events = batches.flatMap((b) => b.events);
    const errors = batches.flatMap((b) => b.errors);
    expect(events.map((e) => `${e.userId}/${e.itemId}/${e.type}/${e.ts}`)).toEqual([
      'u1/i1/view/100000',
      'u1/i2/view/50000',
      'u2/i1/cart/20000',
      'u2/i1/purchase/30000',
      'u3/i3/fav/40000',
    ]);
    expect(errors).toEqual([
      { line: 4, reason: 'expected 5 columns, got 1' },
      { line: 6, reason: `line is longer than ${MAX_LINE_BYTES} bytes` },
    ]);
    // Batches hold batchSize events + errors (the last one the remainder).
    expect(batches.map((b) => b.events.length + b.errors.length)).toEqual([3, 3, 1]);
    expect(batches[batches.length - 1].lines).toBe(9);
  });

  it('deduplicates items per batch with their earliest time and known category', async () => {
    const p = file('items.csv', content);
    const [batch] = await collect(readEventFile(p, 'events-csv', { batchSize: 100 }));
    expect(batch.items).toEqual([
      { itemId: 'i1', category: 'c1', firstSeen: 20000 },
      { itemId: 'i2', category: null, firstSeen: 50000 },
      { itemId: 'i3', category: 'c3', firstSeen: 40000 },
    ]);
  });

  it('reports progress up to the file size', async () => {
    const p = file('progress.csv', content);
    const calls: Array<[number, number]> = [];
    await collect(readEventFile(p, 'events-csv', { onProgress: (read, total) => calls.push([read, total]) }));
    const size = fs.statSync(p).size;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[calls.length - 1]).toEqual([size, size]);
  });

  it('ends with a batch carrying the final line count even after trailing blank lines', async () => {
    const p = file('trailing.tsv', '1\t2\t3\t4\n\n\n');
    const batches = await collect(readEventFile(p, 'movielens', { batchSize: 1 }));
    expect(batches.map((b) => b.events.length)).toEqual([1, 0]);
    expect(batches[1].lines).toBe(3);
  });

  it('yields nothing for an empty file', async () => {
    expect(await collect(readEventFile(file('empty.tsv', ''), 'movielens'))).toEqual([]);
  });

  it('fails clearly for a missing file, a directory and an unusable header', async () => {
    await expect(collect(readEventFile(path.join(dir, 'nope.csv'), 'taobao'))).rejects.toThrow(NotFoundError);
    await expect(collect(readEventFile(dir, 'taobao'))).rejects.toThrow(/not a regular file/);
    const p = file('noheader.csv', 'u1,i1,view,1\n');
    await expect(collect(readEventFile(p, 'events-csv'))).rejects.toThrow(ImportHeaderError);
  });
});

describe('readLines', () => {
  it('handles lines spanning read chunks, multi-byte characters at chunk edges and a line at the cap', async () => {
    const line = 'é'.repeat(1000); // 2,000 bytes: chunk boundaries fall inside characters
    const atCap = 'x'.repeat(MAX_LINE_BYTES);
    const overCap = 'y'.repeat(3 * 256 * 1024); // spans several chunks, never buffered whole
    const lines = [...Array(300).fill(line), atCap, overCap, 'tail'];
    const p = file('lines.txt', `${lines.join('\r\n')}\r\n`);
    const out: Array<{ line: number; text: string | null }> = [];
    for await (const chunk of readLines(p)) out.push(...chunk);
    expect(out).toHaveLength(303);
    expect(out.slice(0, 300).every((l) => l.text === line)).toBe(true);
    expect(out[300]).toEqual({ line: 301, text: atCap });
    expect(out[301]).toEqual({ line: 302, text: null });
    expect(out[302]).toEqual({ line: 303, text: 'tail' });
  });
});

describe('readAllEvents', () => {
  it('collects events, items with categories, errors and the line count', async () => {
    const p = file(
      'taobao.csv',
      ['1,10,100,pv,1511544070', '1,10,100,buy,1511544080', '2,11,,cart,1511544090', '2,12,7,click,1511544090'].join('\n'),
    );
    const all = await readAllEvents(p, 'taobao');
    expect(all.events).toHaveLength(3);
    expect([...all.items]).toEqual([
      ['10', '100'],
      ['11', null],
    ]);
    expect(all.errors).toEqual([{ line: 4, reason: expect.stringMatching(/unknown behavior "click"/) }]);
    expect(all.lines).toBe(4);
  });
});
