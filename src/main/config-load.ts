/**
 * Configuration from three layers, later wins: the file (JSON or YAML), the environment
 * (CLIENT_MT5_* variables), then command-line flags. Validated once by the schema in
 * src/shared/config.ts; the result is frozen.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseConfig, type Config } from '../shared/config.js';
import { ClientMt5Error } from '../shared/errors.js';

type Plain = Record<string, unknown>;

/** Environment variables and the setting each one sets. */
export const ENV_SETTINGS: Record<string, { path: string[]; type: 'number' | 'string' | 'list' }> = {
  CLIENT_MT5_WORKERS: { path: ['workers'], type: 'number' },
  CLIENT_MT5_EA_HOST: { path: ['eaLink', 'host'], type: 'string' },
  CLIENT_MT5_EA_PORT: { path: ['eaLink', 'port'], type: 'number' },
  CLIENT_MT5_EA_TOKEN: { path: ['eaLink', 'token'], type: 'string' },
  CLIENT_MT5_BACKEND_URLS: { path: ['backend', 'endpoints'], type: 'list' },
  CLIENT_MT5_JWT: { path: ['backend', 'jwt'], type: 'string' },
  CLIENT_MT5_ENCODING: { path: ['transport', 'encoding'], type: 'string' },
};

/**
 * The YAML parser, loaded only when a YAML file is read: importing it costs tens of milliseconds
 * of start-up (`node -e "import('yaml')"` against bare node) that a bridge configured by JSON,
 * environment or flags does not need.
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

export function readConfigFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ClientMt5Error('CONFIG_FILE_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('the top level must be a mapping of settings');
    }
    return parsed as Plain;
  } catch (err) {
    throw new ClientMt5Error('CONFIG_INVALID', `config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

function setPath(target: Plain, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Plain;
  }
  node[path[path.length - 1]] = value;
}

function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null
      ? merge(out[k] as Plain, v as Plain)
      : v;
  }
  return out;
}

/** File, then environment, then `overrides` (from flags); validated and frozen. */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Plain; defaults?: Plain }): Readonly<Config> {
  let raw: Plain = options.defaults ?? {};
  if (options.file) raw = merge(raw, readConfigFile(options.file));
  const env = options.env ?? process.env;
  const fromEnv: Plain = {};
  for (const [name, setting] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const parsed = setting.type === 'number' ? Number(value) : setting.type === 'list' ? value.split(',').map((s) => s.trim()) : value;
    setPath(fromEnv, setting.path, parsed);
  }
  raw = merge(raw, fromEnv);
  if (options.overrides) raw = merge(raw, options.overrides);
  return parseConfig(raw);
}
