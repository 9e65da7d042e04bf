// `simplesip server --config FILE`: each setting of the file goes through the same parser as the flag
// of its name, so a value the command line would refuse is refused here too, saying which key is wrong.
// A flag given on the command line wins over the file.
import { InvalidArgumentError, type Command, type Option } from 'commander';
import { ConfigFileError, didYouMean, settingText, type ConfigFile } from './config-file.js';

/** Flags naming a file or directory: relative paths in the file are taken from the file's directory. */
const PATH_SETTINGS = new Set(['data', 'tls-cert', 'tls-key', 'tls-ca']);
/** Repeatable flags: a list in the file, or one value. */
const LIST_SETTINGS = new Set(['listen', 'domain']);
/** Flags taking a comma-separated list, which the file may also write as a YAML list. */
const JOINED_SETTINGS = new Set(['digest-algorithms']);
/** Flags that make no sense in the file that they would name. */
const NOT_SETTINGS = new Set(['config', 'help']);

/** Applies every setting of `file` that the command line did not give; throws ConfigFileError naming the key. */
export function applyServerConfigFile(command: Command, file: ConfigFile): void {
  const settable = command.options.filter((o) => o.long !== undefined && !NOT_SETTINGS.has(o.long.slice(2)));
  const seen = new Map<string, string>();
  for (const [key, value] of file.settings) {
    // The flag's name without dashes, or its camelCase form (as JSON writers tend to spell keys).
    const option = settable.find((o) => o.long === `--${key}` || o.attributeName() === key);
    if (option === undefined) throw new ConfigFileError(`${file.path}: unknown setting "${key}"${didYouMean(key, settable.map((o) => o.long!.slice(2)))}`);
    const name = option.attributeName();
    const earlier = seen.get(name);
    if (earlier !== undefined) throw new ConfigFileError(`${file.path}: "${key}" and "${earlier}" are the same setting; keep one`);
    seen.set(name, key);
    if (command.getOptionValueSource(name) === 'cli') continue;
    command.setOptionValueWithSource(name, settingValue(file, key, option, value), 'config');
  }
}

function settingValue(file: ConfigFile, key: string, option: Option, value: unknown): unknown {
  const flag = option.long!.slice(2);
  try {
    // Flags without a value (--trace, --strict-response-routing) are true or false.
    if (option.isBoolean()) {
      if (typeof value !== 'boolean') throw new InvalidArgumentError(`takes true or false, not ${JSON.stringify(value)}`);
      return value;
    }
    if (flag === 'auth' && typeof value === 'boolean') value = value ? 'on' : 'off';
    if (JOINED_SETTINGS.has(flag) && Array.isArray(value)) value = value.map((v) => settingText(file, key, v)).join(',');
    const values = LIST_SETTINGS.has(flag) && Array.isArray(value) ? value : [value];
    if (values.length === 0) throw new InvalidArgumentError('takes at least one value (leave the key out for the default)');
    let parsed: unknown;
    for (const v of values) {
      const text = settingText(file, key, v);
      const arg = PATH_SETTINGS.has(flag) ? file.resolvePath(text) : text;
      parsed = option.parseArg === undefined ? arg : option.parseArg(arg, parsed);
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    // The parsers speak of the flag ("--max-contacts takes ..."); here it is the key.
    const message = err.message.startsWith(`${option.long} `) ? err.message.slice(option.long!.length + 1) : err.message;
    throw new ConfigFileError(`${file.path}: ${key}: ${message}`);
  }
}
