/**
 * OpenAPI validation by @apidevtools/swagger-parser (the schema of the document's version, and its
 * $refs), run in a plain Node child: its reference parser is ESM, which jest's module sandbox cannot load.
 */
import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

const VALIDATE = `require('@apidevtools/swagger-parser').validate(process.argv[1]).then(
  () => process.stdout.write('valid'),
  (err) => { process.stderr.write(err.message); process.exit(1); },
)`;

/** Resolves when `doc` is a valid OpenAPI document; rejects with the validator's message otherwise. */
export async function validateOpenApi(doc: unknown): Promise<void> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-openapi-'));
  const file = path.join(dir, 'openapi.json');
  try {
    await fs.promises.writeFile(file, JSON.stringify(doc));
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--no-warnings', '-e', VALIDATE, file],
        { cwd: path.resolve(__dirname, '..', '..') },
        (err, stdout, stderr) =>
          err || stdout !== 'valid' ? reject(new Error(`invalid OpenAPI document: ${stderr || err?.message}`)) : resolve(),
      );
    });
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
