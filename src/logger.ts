/** One pino root logger; modules take child loggers with `logger.child({ module })`. */
import pino from 'pino';

export type Logger = pino.Logger;

let root: Logger = pino({ level: process.env.NODE_ENV === 'test' ? 'silent' : 'info' });

/** `toStderr` keeps stdout clean for command output such as `--json` documents. */
export function configureLogger(level: string, opts: { toStderr?: boolean } = {}): Logger {
  root = pino({ level }, opts.toStderr ? pino.destination(2) : pino.destination(1));
  return root;
}

export function moduleLogger(module: string): Logger {
  return root.child({ module });
}

export function rootLogger(): Logger {
  return root;
}
