/**
 * Where benchmarks read the real datasets (MovieLens, Taobao). Their terms forbid redistribution,
 * so they are read in place and never copied into the repository.
 */
import fs from 'node:fs';
import path from 'node:path';

/** RECS_SHARED_DATA, else the repository's sibling `shared/data` (this file is dist/bench/lib/). */
export function sharedDataDir(): string {
  return process.env.RECS_SHARED_DATA ?? path.resolve(__dirname, '../../../..', 'shared/data');
}

/**
 * Absolute paths of `files` (relative to sharedDataDir()). When any is missing, says which and
 * where the data is expected, and exits with status 2.
 */
export function requireSharedData(bench: string, files: string[]): string[] {
  const dir = sharedDataDir();
  const paths = files.map((f) => path.join(dir, f));
  const missing = paths.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    process.stderr.write(
      `${bench}: data file(s) missing:\n${missing.map((f) => `  ${f}`).join('\n')}\n` +
        `The real datasets live beside the repository in ../shared/data (or set RECS_SHARED_DATA); they are never copied into it.\n`,
    );
    process.exit(2);
  }
  return paths;
}
