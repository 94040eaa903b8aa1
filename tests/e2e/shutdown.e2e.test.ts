/**
 * Graceful shutdown of the built `recs serve`: SIGTERM stops accepting connections, lets a request
 * that is still in flight finish (its body is still arriving when the signal comes), closes the
 * stores and exits 0.
 */
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { assertBuilt, startRecs } from '../helpers/cli';
import { openDatabase } from '../../src/storage/database';

jest.setTimeout(60_000);
beforeAll(() => assertBuilt());

it('SIGTERM drains the in-flight request (202, durably stored), refuses new connections, exits 0', async () => {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-shutdown-'));
  try {
    const env = { DATA_DIR: path.join(dir, 'data'), MODELS_DIR: path.join(dir, 'models'), LOG_LEVEL: 'info' };
    const srv = await startRecs(['serve', '--port', '0'], env, /"port":(\d+).*"msg":"serving"/);
    const exited = new Promise<number | null>((r) => {
      srv.child.removeAllListeners('close');
      srv.child.once('close', (code) => r(code));
    });
    const port = Number(new URL(srv.url).port);
    const body = JSON.stringify({ events: [{ userId: 'drain-user', itemId: 'drain-item', type: 'view' }] });
    const answer = new Promise<{ status: number; text: string; connection?: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/events',
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }));
        },
      );
      req.on('error', reject);
      // Half the body now, SIGTERM, the rest later: the request is in flight during the signal.
      req.write(body.slice(0, 20));
      setTimeout(() => {
        srv.child.kill('SIGTERM');
        setTimeout(() => {
          // New connections are refused while the old one drains.
          const probe = http.get({ host: '127.0.0.1', port, path: '/healthz' }, () =>
            reject(new Error('a new request was accepted while draining')),
          );
          probe.on('error', () => {
            req.end(body.slice(20));
          });
        }, 300);
      }, 200);
    });
    const res = await answer;
    expect(res.status).toBe(202);
    expect(JSON.parse(res.text)).toEqual({ accepted: 1 });
    expect(res.connection).toBe('close');
    expect(await exited).toBe(0);
    expect(srv.output()).toMatch(/requests drained, cache and database closed/);
    const db = await openDatabase({ dataDir: env.DATA_DIR });
    try {
      expect((await db.events.recentEventsForUser('drain-user', 5)).map((e) => e.itemId)).toEqual(['drain-item']);
    } finally {
      await db.close();
    }
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
});
