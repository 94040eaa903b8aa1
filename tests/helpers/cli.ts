/** Runs the built `recs` binary (dist/, from `npm run build`) as a separate process. */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'recs.js');

export function assertBuilt(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'main', 'cli.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before the CLI tests (`npm test` does)');
  }
}

/** Environment for a child: ours minus anything that points at servers, plus `env`. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'REDIS_CLUSTER', 'REDIS_KEY_PREFIX', 'API_KEY', 'DEBUG_TOKEN', 'PORT']) delete out[k];
  out.NODE_ENV = 'production';
  return { ...out, ...env };
}

export function runRecs(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`recs ${args.join(' ')} timed out\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running command and resolves with its base URL once `match` finds the port. */
export function startRecs(
  args: string[],
  env: Record<string, string>,
  match: RegExp,
  timeoutMs = 120_000,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env) });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = match.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}`, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => reject(new Error(`recs ${args.join(' ')} exited with ${code}\n${out}`)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`recs ${args.join(' ')} did not start in time\n${out}`));
    }, timeoutMs);
  });
}

export async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => {
    child.removeAllListeners('close');
    child.once('close', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}
