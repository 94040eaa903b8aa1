/** One pino root logger; modules take child loggers with `logger.child({ module })`. */
import pino from 'pino';

export type Logger = pino.Logger;

let root: Logger = pino({ level: 'info' });

export function configureLogger(level: string): Logger {
  root = pino({ level });
  return root;
}

export function moduleLogger(module: string): Logger {
  return root.child({ module });
}

export function rootLogger(): Logger {
  return root;
}
