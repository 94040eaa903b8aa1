import fs from 'fs';
import path from 'path';
import { Router } from 'express';
import { CONSOLE_HTML } from './page';

/** Chart.js's browser build, read once from node_modules on first request and served as is. */
let chartJs: Buffer | undefined;

/** The operator console: one page (it holds no data; it asks for the debug token) and its chart library. */
export function consoleRoutes(): Router {
  const r = Router();
  r.get('/console', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(CONSOLE_HTML);
  });
  r.get('/console/chart.js', (_req, res) => {
    // The package exports only its module builds: the browser build sits beside the CommonJS entry.
    chartJs ??= fs.readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'));
    res.set('Cache-Control', 'public, max-age=86400');
    res.type('application/javascript').send(chartJs);
  });
  return r;
}
