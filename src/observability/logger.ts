/**
 * One pino root logger; modules take child loggers with `logger.child({ module })`. On a terminal
 * the lines are pretty (pino-pretty), elsewhere JSON, one object per line.
 */
import pino from 'pino';
import type { Writable } from 'stream';
import { isTestProcess } from '../config/process';

export type Logger = pino.Logger;

let root: Logger = pino({ level: isTestProcess() ? 'silent' : 'info' });

export interface LoggerOptions {
  /** Keeps stdout clean for command output such as `--json` documents. */
  toStderr?: boolean;
  /** Where pretty lines go on a terminal (TerminalProgress.logStream(), so they print above progress bars). */
  terminal?: Writable;
}

export function configureLogger(level: string, opts: LoggerOptions = {}): Logger {
  const out = opts.toStderr ? process.stderr : process.stdout;
  if (out.isTTY) {
    // Loaded only for a person at a terminal: services log JSON.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    const stream = pretty({
      colorize: true,
      translateTime: 'SYS:HH:MM:ss',
      singleLine: true,
      ignore: 'pid,hostname,module',
      destination: opts.terminal ?? out,
      sync: true,
    });
    root = pino({ level }, stream);
  } else {
    root = pino({ level }, opts.toStderr ? pino.destination(2) : pino.destination(1));
  }
  return root;
}

export function moduleLogger(module: string): Logger {
  return root.child({ module });
}

export function rootLogger(): Logger {
  return root;
}
