import express from 'express';
import request from 'supertest';
import { apiHelmet, recordHelmetHeaders, setSecurityHeaders } from './security';

describe('security headers', () => {
  it('replays exactly the headers helmet itself sets (plus no-store on the API), on the API and on the console', async () => {
    const withHelmet = express();
    withHelmet.disable('x-powered-by');
    withHelmet.use(apiHelmet);
    withHelmet.use((_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    });
    withHelmet.get('/x', (_req, res) => {
      res.end('ok');
    });
    const replayed = express();
    replayed.disable('x-powered-by');
    replayed.use((req, res, next) => {
      setSecurityHeaders(req, res);
      next();
    });
    replayed.get(['/x', '/console'], (_req, res) => {
      res.end('ok');
    });
    const pick = (h: Record<string, unknown>) => {
      const { date: _d, connection: _c, 'keep-alive': _k, 'content-length': _l, ...rest } = h;
      return rest;
    };
    const api = (await request(replayed).get('/x')).headers;
    expect(pick(api)).toEqual(pick((await request(withHelmet).get('/x')).headers));
    // OWASP's REST set on JSON answers; the HTML-only headers are the console's.
    expect(api['cache-control']).toBe('no-store');
    expect(api['x-frame-options']).toBe('DENY');
    expect(api['strict-transport-security']).toContain('max-age=');
    expect(api['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(api['referrer-policy']).toBeUndefined();
    const consolePage = await request(replayed).get('/console');
    expect(consolePage.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    expect(consolePage.headers['x-content-type-options']).toBe('nosniff');
    expect(consolePage.headers['referrer-policy']).toBe('no-referrer');
    expect(consolePage.headers['cross-origin-opener-policy']).toBe('same-origin');
  });

  it('refuses to record a helmet that does not finish synchronously', () => {
    expect(() => recordHelmetHeaders(() => undefined)).toThrow(/synchronously/);
  });
});
