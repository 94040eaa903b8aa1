/**
 * A version's files under MODELS_DIR/<version>/: manifest.json, meta.bin (VersionMeta) and
 * lists.bin (every user's packed list). Everything needed to publish the version again later
 * (rollback after the cache expired it, or the embedded cache after a restart).
 * Written into a temporary directory and renamed, so a crash never leaves a half version behind.
 */
import fs from 'fs';
import path from 'path';
import { encodeVersionMeta, type VersionMeta } from '../../src/contracts/versionMeta';
import type { VersionMetrics } from '../../src/contracts/versionRecord';

export interface Manifest {
  version: string;
  createdAt: string;
  now: string;
  users: number;
  items: number;
  bucketCount: number;
  metrics: Partial<VersionMetrics>;
  timings: Record<string, number>;
  policy: unknown;
  files: { meta: string; lists: string };
}

const VERSION_RE = /^v[0-9A-Za-z-]{1,64}$/;

export function versionDir(modelsDir: string, version: string): string {
  if (!VERSION_RE.test(version)) throw new Error(`invalid version id '${version}'`);
  return path.join(modelsDir, version);
}

/** Sortable, unique version ids: v<UTC yyyymmddhhmmss>-<4 hex>. */
export function newVersionId(at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `v${stamp}-${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}

/** The manifest of a trained version: counts come from its meta, the rest from the run. */
export function manifestFor(
  meta: VersionMeta,
  run: { createdAt: number; metrics: Partial<VersionMetrics>; timings: Record<string, number>; policy: unknown },
): Omit<Manifest, 'files'> {
  return {
    version: meta.version,
    createdAt: new Date(run.createdAt).toISOString(),
    now: new Date(meta.now).toISOString(),
    users: meta.users,
    items: meta.itemIds.length,
    bucketCount: meta.bucketCount,
    metrics: run.metrics,
    timings: run.timings,
    policy: run.policy,
  };
}

export async function writeArtifacts(
  modelsDir: string,
  manifest: Omit<Manifest, 'files'>,
  meta: VersionMeta,
  /** Every user's packed list, in chunks (TrainedVersion.packedLists). */
  users: AsyncIterable<Array<[string, Buffer]>>,
  /** Writes further files (e.g. the embedding's tf.io weights) into the version's directory. */
  extra?: (dir: string) => Promise<void>,
): Promise<Manifest> {
  const final = versionDir(modelsDir, manifest.version);
  const tmp = path.join(modelsDir, `.tmp-${manifest.version}`);
  await fs.promises.rm(tmp, { recursive: true, force: true });
  await fs.promises.mkdir(tmp, { recursive: true });
  await fs.promises.writeFile(path.join(tmp, 'meta.bin'), encodeVersionMeta(meta));
  const out = fs.createWriteStream(path.join(tmp, 'lists.bin'));
  const chunks: Buffer[] = [];
  let pending = 0;
  const flush = async () => {
    if (!chunks.length) return;
    const buf = Buffer.concat(chunks);
    chunks.length = 0;
    pending = 0;
    if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  const add = (userId: string, packed: Buffer) => {
    const id = Buffer.from(userId, 'utf8');
    const head = Buffer.allocUnsafe(6);
    head.writeUInt16LE(id.length, 0);
    head.writeUInt32LE(packed.length, 2);
    chunks.push(head, id, packed);
    pending += 6 + id.length + packed.length;
  };
  for await (const chunk of users) {
    for (const [userId, packed] of chunk) {
      add(userId, packed);
      if (pending > 1 << 20) await flush();
    }
  }
  await flush();
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  if (extra) await extra(tmp);
  const full: Manifest = { ...manifest, files: { meta: 'meta.bin', lists: 'lists.bin' } };
  await fs.promises.writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(full, null, 2));
  await fs.promises.rm(final, { recursive: true, force: true });
  await fs.promises.rename(tmp, final);
  return full;
}

export async function readManifest(modelsDir: string, version: string): Promise<Manifest> {
  const file = path.join(versionDir(modelsDir, version), 'manifest.json');
  return JSON.parse(await fs.promises.readFile(file, 'utf8')) as Manifest;
}

export async function readMetaBytes(modelsDir: string, version: string): Promise<Buffer> {
  return fs.promises.readFile(path.join(versionDir(modelsDir, version), 'meta.bin'));
}

/** Streams (userId, packed list) pairs from lists.bin in chunks, without reading the file at once. */
export async function* readUserLists(modelsDir: string, version: string, chunkSize = 1000): AsyncGenerator<Array<[string, Buffer]>> {
  const stream = fs.createReadStream(path.join(versionDir(modelsDir, version), 'lists.bin'), { highWaterMark: 1 << 20 });
  let rest: Buffer = Buffer.alloc(0);
  let batch: Array<[string, Buffer]> = [];
  for await (const chunk of stream) {
    const buf: Buffer = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let o = 0;
    while (buf.length - o >= 6) {
      const idLen = buf.readUInt16LE(o);
      const packedLen = buf.readUInt32LE(o + 2);
      if (buf.length - o < 6 + idLen + packedLen) break;
      const userId = buf.toString('utf8', o + 6, o + 6 + idLen);
      const packed = Buffer.from(buf.subarray(o + 6 + idLen, o + 6 + idLen + packedLen));
      batch.push([userId, packed]);
      o += 6 + idLen + packedLen;
      if (batch.length >= chunkSize) {
        yield batch;
        batch = [];
      }
    }
    rest = buf.subarray(o);
  }
  if (rest.length) throw new Error(`lists.bin of ${version} is truncated`);
  if (batch.length) yield batch;
}

/** Versions present on disk, newest first; removes leftovers of interrupted writes. */
export async function listArtifactVersions(modelsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(modelsDir);
  } catch {
    return [];
  }
  for (const n of names.filter((n) => n.startsWith('.tmp-'))) {
    await fs.promises.rm(path.join(modelsDir, n), { recursive: true, force: true });
  }
  return names
    .filter((n) => VERSION_RE.test(n))
    .sort()
    .reverse();
}

export async function removeArtifacts(modelsDir: string, version: string): Promise<void> {
  await fs.promises.rm(versionDir(modelsDir, version), { recursive: true, force: true });
}
