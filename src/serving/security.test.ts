import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { recordHelmetHeaders, setSecurityHeaders } from './security';

describe('security headers', () => {
  it('replays exactly the headers helmet itself sets, on the API and on the console', async () => {
    const withHelmet = express();
    withHelmet.disable('x-powered-by');
    withHelmet.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } } }));
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
    expect(pick((await request(replayed).get('/x')).headers)).toEqual(pick((await request(withHelmet).get('/x')).headers));
    const consolePage = await request(replayed).get('/console');
    expect(consolePage.headers['content-security-policy']).toContain("script-src 'unsafe-inline'");
    expect(consolePage.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses to record a helmet that does not finish synchronously', () => {
    expect(() => recordHelmetHeaders(() => undefined)).toThrow(/synchronously/);
  });
});
