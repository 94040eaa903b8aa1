import { idProblem, MAX_ID_LENGTH, parseTimestamp } from './rules';

const S = 1000;

describe('parseTimestamp', () => {
  it('reads epoch numbers below 1e11 as seconds and the rest as milliseconds', () => {
    expect(parseTimestamp('1511544070')).toBe(1511544070 * S);
    expect(parseTimestamp('1511544070123')).toBe(1511544070123);
    expect(parseTimestamp('99999999999')).toBe(99999999999 * S);
    expect(parseTimestamp('100000000000')).toBe(100000000000);
    expect(parseTimestamp(' 1.5 ')).toBe(1500);
  });

  it('reads ISO-8601, treating a missing offset as UTC', () => {
    expect(parseTimestamp('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(parseTimestamp('2026-01-31T10:20:30Z')).toBe(Date.UTC(2026, 0, 31, 10, 20, 30));
    expect(parseTimestamp('2026-01-31T10:20:30')).toBe(Date.UTC(2026, 0, 31, 10, 20, 30));
    expect(parseTimestamp('2026-01-31 10:20')).toBe(Date.UTC(2026, 0, 31, 10, 20));
    expect(parseTimestamp('2026-01-31T10:20:30.123456Z')).toBe(Date.UTC(2026, 0, 31, 10, 20, 30, 123));
    expect(parseTimestamp('2017-11-25T00:00:00+08:00')).toBe(Date.UTC(2017, 10, 24, 16));
    expect(parseTimestamp('2017-11-25T00:00:00-0530')).toBe(Date.UTC(2017, 10, 25, 5, 30));
  });

  it('rejects impossible dates and garbage', () => {
    for (const bad of ['', 'yesterday', '2026-02-30', '2026-13-01', '2026-01-01T24:00:00Z', '-5', '1e9', '2026/01/01']) {
      expect(parseTimestamp(bad)).toBeNull();
    }
  });
});

describe('idProblem', () => {
  it('accepts printable ids of 1..256 characters and names what is wrong with the rest', () => {
    expect(idProblem('SKU-42 / blue (XL)')).toBeNull();
    expect(idProblem('é😀')).toBeNull();
    expect(idProblem('x'.repeat(MAX_ID_LENGTH))).toBeNull();
    expect(idProblem('')).toBe('empty');
    expect(idProblem('x'.repeat(MAX_ID_LENGTH + 1))).toBe('too-long');
    expect(idProblem('a\tb')).toBe('control');
    expect(idProblem('a\u2028b')).toBe('control');
    expect(idProblem('a\uD800b')).toBe('malformed');
  });
});
