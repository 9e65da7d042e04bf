// The server's config file: YAML (JSON is YAML too), one key per `simplesip server` flag, named as
// the flag without its dashes. `simplesip ctl` reads the same file to find the control API.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';

/** Environment variable naming the config file when `--config` is not given (server and ctl). */
export const CONFIG_ENV = 'SIMPLESIP_CONFIG';

export class ConfigFileError extends Error {}

export interface ConfigFile {
  /** The file as given, for messages. */
  path: string;
  /** Settings in file order: key as written, value as YAML typed it. */
  settings: Map<string, unknown>;
  /** A path setting (data, tls-cert, ...) relative to the file's own directory, as an absolute path. */
  resolvePath(value: string): string;
}

/** Reads and parses `path`; an empty file has no settings. Errors name the file and, for YAML, the line. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new ConfigFileError(`cannot read the config file ${path}: ${why}`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message.split('\n')[0].replace(/:$/, '') : String(err);
    // The usual slip: an IPv6 address or a wildcard written bare, which YAML reads as a list or an alias.
    throw new ConfigFileError(`the config file ${path} is not valid YAML: ${detail} (a value starting with [, {, * or & needs quotes: control: "[::1]:5099")`);
  }
  if (document === null || document === undefined) document = {};
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigFileError(`the config file ${path} must be a mapping of settings (key: value), one per server flag`);
  }
  const base = dirname(resolve(path));
  return {
    path,
    settings: new Map(Object.entries(document)),
    resolvePath: (value) => resolve(base, value),
  };
}

/** The file named by `--config`, else by $SIMPLESIP_CONFIG, else none. */
export function configFileFrom(flag: string | undefined): ConfigFile | undefined {
  const path = flag ?? process.env[CONFIG_ENV];
  return path === undefined || path === '' ? undefined : readConfigFile(path);
}

/** A scalar setting as the text a flag would carry: strings as they are, numbers and booleans spelled out. */
export function settingText(file: ConfigFile, key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConfigFileError(`${file.path}: "${key}" takes a single value, not ${Array.isArray(value) ? 'a list' : 'a mapping'}`);
}

/** ` (did you mean "max-contacts"?)` when one of `names` is within two edits of `key`, else nothing. */
export function didYouMean(key: string, names: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const d = editDistance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length];
}
