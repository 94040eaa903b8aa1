/**
 * The only reader of process.env. Validates once at boot and fails fast with the variable's name.
 */
import fs from 'fs';
import path from 'path';
import { z } from 'zod';
import { buildPolicy, type Policy } from './policy';

export type { Policy, FallbackStep } from './policy';
export { FALLBACK_STEPS, DEFAULT_POLICY, buildPolicy } from './policy';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const envSchema = z.object({
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(8080)),
  DATABASE_URL: optionalString,
  REDIS_URL: optionalString,
  REDIS_CLUSTER: z.preprocess(emptyToUndefined, z.enum(['0', '1', 'true', 'false']).optional()),
  REDIS_KEY_PREFIX: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,32}$/)
      .default('recs'),
  ),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
  MODELS_DIR: z.preprocess(emptyToUndefined, z.string().default('./models')),
  DEBUG_TOKEN: optionalString,
  API_KEY: optionalString,
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  RECS_CONFIG_FILE: optionalString,
});

export interface AppConfig {
  port: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  redisCluster: boolean;
  redisKeyPrefix: string;
  dataDir: string;
  modelsDir: string;
  debugToken: string | undefined;
  apiKey: string | undefined;
  logLevel: string;
  policy: Policy;
}

/** Reads `NAME_FILE` (a path holding the secret) when `NAME` itself is unset. */
function withFileSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'DEBUG_TOKEN', 'API_KEY']) {
    const file = env[`${name}_FILE`];
    if (!env[name] && file) out[name] = fs.readFileSync(file, 'utf8').trim();
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(withFileSecrets(env));
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${msg}`);
  }
  const e = parsed.data;
  let policyOverride: unknown;
  if (e.RECS_CONFIG_FILE) {
    try {
      policyOverride = JSON.parse(fs.readFileSync(e.RECS_CONFIG_FILE, 'utf8'));
    } catch (err) {
      throw new Error(`invalid configuration: RECS_CONFIG_FILE ${e.RECS_CONFIG_FILE}: ${(err as Error).message}`, { cause: err });
    }
  }
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER === '1' || e.REDIS_CLUSTER === 'true',
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    dataDir: path.resolve(e.DATA_DIR),
    modelsDir: path.resolve(e.MODELS_DIR),
    debugToken: e.DEBUG_TOKEN,
    apiKey: e.API_KEY,
    logLevel: e.LOG_LEVEL,
    policy: buildPolicy(policyOverride),
  };
}
