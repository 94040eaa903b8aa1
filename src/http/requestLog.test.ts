import type { IncomingMessage } from 'http';
import { accessLevel, requestIdOf } from './requestLog';

const req = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;

describe('request ids and access levels', () => {
  it("takes the caller's X-Request-Id (first 64 characters), else a distinct process-tagged counter", () => {
    expect(requestIdOf(req({ 'x-request-id': 'abc' }))).toBe('abc');
    expect(requestIdOf(req({ 'x-request-id': 'x'.repeat(100) }))).toHaveLength(64);
    const a = requestIdOf(req());
    const b = requestIdOf(req());
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    expect(b).not.toBe(a);
  });

  it('logs server errors as error, client errors and abandoned requests as info, the rest as debug', () => {
    expect(accessLevel(500, true)).toBe('error');
    expect(accessLevel(503, false)).toBe('error');
    expect(accessLevel(404, true)).toBe('info');
    expect(accessLevel(200, false)).toBe('info');
    expect(accessLevel(200, true)).toBe('debug');
    expect(accessLevel(304, true)).toBe('debug');
  });
});
