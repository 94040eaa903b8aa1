/**
 * What a person at a terminal sees of the long stages (import, training): progress bars drawn with
 * cli-progress, and log lines printed above the bars rather than through them. Off a terminal
 * nothing is drawn (NO_PROGRESS) and the logs stay JSON lines.
 */
import cliProgress from 'cli-progress';
import { Writable } from 'stream';

export interface ProgressBar {
  /** `done` of the bar's total; `detail` names what is under way. */
  update(done: number, detail?: string): void;
  stop(): void;
}

export interface Progress {
  /** A bar of `total` steps; `unit` formats the counts (bytes are shown in MB). */
  bar(label: string, total: number, unit?: 'bytes' | 'steps'): ProgressBar;
}

export const NO_PROGRESS: Progress = {
  bar: () => ({ update: () => undefined, stop: () => undefined }),
};

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

/** Progress bars on a terminal stream; log lines written through log() go above them. */
export class TerminalProgress implements Progress {
  private multi: cliProgress.MultiBar | null = null;
  private active = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  bar(label: string, total: number, unit: 'bytes' | 'steps' = 'steps'): ProgressBar {
    this.multi ??= new cliProgress.MultiBar(
      {
        stream: this.stream,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 50,
        format: '{label} [{bar}] {percentage}% | {counts} | {detail}',
      },
      cliProgress.Presets.shades_classic,
    );
    const counts = (done: number) => (unit === 'bytes' ? `${mb(done)}/${mb(total)} MB` : `${done}/${total}`);
    const bar = this.multi.create(Math.max(total, 1), 0, { label: label.padEnd(10), counts: counts(0), detail: '' });
    this.active++;
    let stopped = false;
    return {
      update: (done, detail) => bar.update(done, { counts: counts(done), ...(detail !== undefined ? { detail } : {}) }),
      stop: () => {
        if (stopped) return;
        stopped = true;
        bar.update(Math.max(total, 1), { counts: counts(total) });
        bar.stop();
        if (--this.active === 0) {
          this.multi?.stop();
          this.multi = null;
        }
      },
    };
  }

  /** Writes text above the bars (or straight to the stream when none is drawn). */
  log(text: string): void {
    if (this.multi) this.multi.log(text.endsWith('\n') ? text : `${text}\n`);
    else this.stream.write(text);
  }

  /** A stream for the logger: what is written to it goes through log(). */
  logStream(): Writable {
    return new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        this.log(chunk.toString());
        done();
      },
    });
  }
}
