import { Router } from 'express';
import { CONSOLE_HTML } from './page';

/** The operator console: one self-contained page (it holds no data; it asks for the debug token). */
export function consoleRoutes(): Router {
  const r = Router();
  r.get('/console', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(CONSOLE_HTML);
  });
  return r;
}
