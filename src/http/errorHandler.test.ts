import express from 'express';
import request from 'supertest';
import { errorHandler } from './errorHandler';
import { rootLogger } from '../observability/logger';

describe('errorHandler', () => {
  it('answers an unexpected error with a bare 500: no message, stack trace or internal path leaks', async () => {
    const app = express();
    app.get('/boom', () => {
      throw new Error('ENOENT: open /work/main/src/secret.ts at Object.<anonymous> (/work/main/dist/x.js:1:2)');
    });
    app.use(errorHandler(rootLogger().child({ level: 'silent' })));
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(res.text).not.toMatch(/\/work|\.ts|\.js|\bat\b/);
  });
});
