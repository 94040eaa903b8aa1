import {
  createItemLineParser,
  createLineParser,
  formatCsvField,
  type ImportFormat,
  ImportHeaderError,
  isImportFormat,
  parseText,
  splitCsvLine,
} from './formats';
import { MAX_ID_LENGTH } from '../domain/rules';

const parse = (format: ImportFormat, text: string) => parseText(text, createLineParser(format));

describe('splitCsvLine / formatCsvField', () => {
  it('splits plain and quoted fields', () => {
    expect(splitCsvLine('a,b,,c')).toEqual(['a', 'b', '', 'c']);
    expect(splitCsvLine('"a,b","say ""hi""",c')).toEqual(['a,b', 'say "hi"', 'c']);
    expect(splitCsvLine(' "x" ,y,')).toEqual(['x', 'y', '']);
  });

  it('throws on broken quoting', () => {
    expect(() => splitCsvLine('"abc,d')).toThrow(/unterminated quoted field/);
    expect(() => splitCsvLine('"abc"x,d')).toThrow(/after the closing quote/);
    expect(() => splitCsvLine('ab"c,d')).toThrow(/stray quote/);
  });

  it('round-trips values through formatCsvField', () => {
    const values = ['plain', 'with,comma', 'with "quote"', ' padded '];
    expect(splitCsvLine(values.map(formatCsvField).join(','))).toEqual(values);
  });
});

describe('isImportFormat', () => {
  it('knows the five formats', () => {
    expect(['movielens', 'movielens-csv', 'taobao', 'events-csv', 'ndjson'].every(isImportFormat)).toBe(true);
    expect(isImportFormat('csv')).toBe(false);
  });
});

describe('movielens (u.data)', () => {
  it('maps ratings to views with ms timestamps and reports bad rows by line', () => {
    const text = [
      '196\t242\t3\t881250949',
      '',
      '186\t302\t3',
      '22\t377\tx\t878887116',
      '244\t51\t2\tsoon',
      '  ',
      '1::2::5::978300760',
    ].join('\n');
    const { rows, errors, lines } = parse('movielens', text);
    expect(lines).toBe(7);
    expect(rows.map((r) => r.event)).toEqual([
      { userId: '196', itemId: '242', type: 'view', ts: 881250949000 },
      { userId: '1', itemId: '2', type: 'view', ts: 978300760000 },
    ]);
    expect(rows[0].item).toBeUndefined();
    expect(errors).toEqual([
      { line: 3, reason: expect.stringMatching(/expected 4 tab-separated fields.*got 3/) },
      { line: 4, reason: expect.stringMatching(/invalid rating "x"/) },
      { line: 5, reason: expect.stringMatching(/invalid timestamp "soon"/) },
    ]);
  });

  it('skips a BOM and a header line', () => {
    const { rows, errors } = parse('movielens', '\uFEFFuser\titem\trating\ttimestamp\n1\t2\t4\t10\n');
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(1);
    expect(rows[0].event.ts).toBe(10_000);
  });
});

describe('movielens-csv (ratings.csv)', () => {
  it('reads the header in any order and quoted fields', () => {
    const text = 'timestamp,movieId,userId,rating\r\n964982703,"1",1,4.0\r\n964981247,3,1\r\n,3,1,4\r\n964981247,3,"",4\r\n';
    const { rows, errors } = parse('movielens-csv', text);
    expect(rows.map((r) => r.event)).toEqual([{ userId: '1', itemId: '1', type: 'view', ts: 964982703000 }]);
    expect(errors).toEqual([
      { line: 3, reason: 'expected 4 columns, got 3' },
      { line: 4, reason: 'missing timestamp' },
      { line: 5, reason: 'missing userId' },
    ]);
  });

  it('assumes userId,movieId,rating,timestamp when the file has no header', () => {
    const { rows, errors } = parse('movielens-csv', '5,7,3.5,100\n');
    expect(errors).toEqual([]);
    expect(rows[0].event).toEqual({ userId: '5', itemId: '7', type: 'view', ts: 100_000 });
  });

  it('rejects a header without the item column', () => {
    expect(() => parse('movielens-csv', 'userId,rating,timestamp\n1,2,3\n')).toThrow(ImportHeaderError);
  });
});

describe('taobao', () => {
  it('maps behaviours and categories', () => {
    const text = [
      '1,2268318,2520377,pv,1511544070',
      '1,2333346,2520771,fav,1511561733',
      '1,2576651,149192,cart,1511572885',
      '1,2576651,149192,buy,1511572999',
      '2,10,,pv,1511544070',
    ].join('\n');
    const { rows, errors } = parse('taobao', text);
    expect(errors).toEqual([]);
    expect(rows.map((r) => r.event.type)).toEqual(['view', 'fav', 'cart', 'purchase', 'view']);
    expect(rows[0]).toEqual({
      event: { userId: '1', itemId: '2268318', type: 'view', ts: 1511544070000 },
      item: { itemId: '2268318', category: '2520377' },
    });
    expect(rows[4].item).toEqual({ itemId: '10', category: null });
  });

  it('names unknown behaviours, bad timestamps and wrong field counts', () => {
    const text = ['1,2,3,click,1511544070', '1,2,3,pv,15115x', '1,2,3,pv', '1,,3,pv,1511544070', '1,2,3,pv,1511544070,9'].join('\n');
    const { rows, errors } = parse('taobao', text);
    expect(rows).toHaveLength(0);
    expect(errors.map((e) => e.line)).toEqual([1, 2, 3, 4, 5]);
    expect(errors[0].reason).toMatch(/unknown behavior "click"/);
    expect(errors[1].reason).toMatch(/invalid timestamp/);
    expect(errors[2].reason).toMatch(/expected 5 comma-separated fields.*got 4/);
    expect(errors[3].reason).toBe('missing itemId');
    expect(errors[4].reason).toMatch(/got 6/);
  });
});

describe('events-csv', () => {
  const header = 'Type,timestamp,itemId,extra,userId,category';

  it('maps columns by header name and accepts every timestamp form', () => {
    const text = [
      header,
      'view,2026-01-31T00:00:00Z,i1,x,u1,shoes',
      'PURCHASE,1769817600,i1,x,u1,',
      'cart,1769817600000,"item, with comma",x,"u ""2""",',
    ].join('\n');
    const { rows, errors } = parse('events-csv', text);
    expect(errors).toEqual([]);
    const t = Date.UTC(2026, 0, 31);
    expect(rows).toEqual([
      { event: { userId: 'u1', itemId: 'i1', type: 'view', ts: t }, item: { itemId: 'i1', category: 'shoes' } },
      { event: { userId: 'u1', itemId: 'i1', type: 'purchase', ts: t }, item: { itemId: 'i1', category: null } },
      {
        event: { userId: 'u "2"', itemId: 'item, with comma', type: 'cart', ts: t },
        item: { itemId: 'item, with comma', category: null },
      },
    ]);
  });

  it('reports each kind of bad row with its line number', () => {
    const text = [
      'userId,itemId,type,timestamp',
      'u1,i1,click,2026-01-01',
      'u1,i1,view,2026-02-30',
      ',i1,view,2026-01-01',
      `${'u'.repeat(MAX_ID_LENGTH + 1)},i1,view,2026-01-01`,
      'u\u0007,i1,view,2026-01-01',
      'u1,i1,view',
      '"u1,i1,view,2026-01-01',
      'u1,i1,,2026-01-01',
      '',
      `${'u'.repeat(MAX_ID_LENGTH)},i1,view,2026-01-01`,
    ].join('\n');
    const { rows, errors } = parse('events-csv', text);
    expect(rows).toHaveLength(1);
    expect(errors).toEqual([
      { line: 2, reason: expect.stringMatching(/unknown event type "click"/) },
      { line: 3, reason: expect.stringMatching(/invalid timestamp "2026-02-30"/) },
      { line: 4, reason: 'missing userId' },
      { line: 5, reason: `userId is longer than ${MAX_ID_LENGTH} characters` },
      { line: 6, reason: 'userId contains control characters' },
      { line: 7, reason: 'expected 4 columns, got 3' },
      { line: 8, reason: expect.stringMatching(/unterminated quoted field/) },
      { line: 9, reason: 'missing type' },
    ]);
  });

  it('fails the file when the header lacks a required column', () => {
    expect(() => parse('events-csv', 'userId,itemId,timestamp\nu,i,1\n')).toThrow(/lacks required column\(s\) type/);
    expect(() => parse('events-csv', 'u1,i1,view,2026-01-01\n')).toThrow(ImportHeaderError);
  });

  it('trims ids and tolerates blank lines before the header', () => {
    const { rows } = parse('events-csv', '\n userId , itemId,type,ts\n  u1 , i1 ,view,5\n');
    expect(rows[0].event).toEqual({ userId: 'u1', itemId: 'i1', type: 'view', ts: 5000 });
  });
});

describe('ndjson', () => {
  it('reads objects with string or number fields', () => {
    const text = [
      '{"userId":"u1","itemId":"i1","type":"view","timestamp":"2026-01-31T00:00:00Z","category":"shoes"}',
      '{"userId":7,"itemId":8,"type":"fav","timestamp":1769817600}',
      '{"userId":"u1","itemId":"i2","type":"cart","ts":1769817600000,"category":null}',
    ].join('\n');
    const { rows, errors } = parse('ndjson', text);
    expect(errors).toEqual([]);
    expect(rows[0].item).toEqual({ itemId: 'i1', category: 'shoes' });
    expect(rows[1]).toEqual({ event: { userId: '7', itemId: '8', type: 'fav', ts: 1769817600000 } });
    expect(rows[2].item).toEqual({ itemId: 'i2', category: null });
  });

  it('reports invalid JSON, non-objects and missing or wrong fields', () => {
    const text = [
      '{"userId":"u1",',
      '[1,2]',
      '{"itemId":"i1","type":"view","timestamp":1}',
      '{"userId":"u1","itemId":"i1","type":"like","timestamp":1}',
      '{"userId":"u1","itemId":"i1","type":"view"}',
      '{"userId":{"a":1},"itemId":"i1","type":"view","timestamp":1}',
    ].join('\n');
    const { rows, errors } = parse('ndjson', text);
    expect(rows).toHaveLength(0);
    expect(errors.map((e) => e.line)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(errors[0].reason).toMatch(/^invalid JSON/);
    expect(errors[1].reason).toBe('expected a JSON object');
    expect(errors[2].reason).toBe('missing userId');
    expect(errors[3].reason).toMatch(/unknown event type "like"/);
    expect(errors[4].reason).toBe('missing timestamp');
    expect(errors[5].reason).toBe('userId must be a string or a number');
  });
});

describe('catalogue CSV', () => {
  it('builds patches with only the given fields', () => {
    const text = [
      'price,itemId,available,category,createdAt',
      '9.99,i1,true,shoes,2026-01-01',
      ',i2,no,,',
      '-1,i3,,,',
      ',i4,maybe,,',
      ',,true,,',
    ].join('\n');
    const { rows, errors } = parseText(text, createItemLineParser());
    expect(rows).toEqual([
      { itemId: 'i1', price: 9.99, available: true, category: 'shoes', createdAt: Date.UTC(2026, 0, 1) },
      { itemId: 'i2', available: false },
    ]);
    expect(errors).toEqual([
      { line: 4, reason: 'invalid price "-1"' },
      { line: 5, reason: expect.stringMatching(/invalid available "maybe"/) },
      { line: 6, reason: 'missing itemId' },
    ]);
  });

  it('needs only the itemId column', () => {
    expect(parseText('itemId\ni9\n', createItemLineParser()).rows).toEqual([{ itemId: 'i9' }]);
    expect(() => parseText('category\nx\n', createItemLineParser())).toThrow(/itemId/);
  });
});
