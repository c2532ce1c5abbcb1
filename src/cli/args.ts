// Command-line argument checks shared by the commands: one clear line per mistake, exit code 2.

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly command: string;
  constructor(command: string, message: string) {
    super(message);
    this.command = command;
  }
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(command: string, argv: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals = false): ParsedArgs {
  // A negative number after a valued option (--cpus -2) is that option's value, which the option's
  // own check then refuses in one line; node:util would call it an ambiguous option instead.
  const args = [...argv];
  for (let i = args.length - 2; i >= 0; i--) {
    const name = /^--([\w-]+)$/.exec(args[i]!)?.[1];
    if (name !== undefined && options[name]?.type === 'string' && /^-\d/.test(args[i + 1]!)) args.splice(i, 2, `${args[i]}=${args[i + 1]}`);
  }
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    // node:util's messages are good but long; keep their first sentence (one line).
    const msg = (e as Error).message.split(/\.[ \n]/)[0]!.replace(/^Unknown option '(.*)'$/, "unknown option '$1'");
    throw new UsageError(command, msg);
  }
}

/** An integer option within [min, max]; `undefined` when absent. */
export function intOption(command: string, name: string, raw: string | boolean | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new UsageError(command, `--${name} needs a value`);
  const cleaned = raw.replace(/_/g, '');
  const n = /^-?\d+$/.test(cleaned) ? Number(cleaned) : /^\d+(\.\d+)?e\d+$/i.test(cleaned) ? Number(cleaned) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(command, `--${name} must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got '${raw}'`);
  }
  return n;
}

/** A comma-separated list whose items must come from `allowed`. */
export function listOption<T extends string>(command: string, name: string, raw: string | boolean | undefined, allowed: readonly T[]): T[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new UsageError(command, `--${name} needs a value`);
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(command, `--${name} needs at least one of ${allowed.join(', ')}`);
  for (const it of items) {
    if (!allowed.includes(it as T)) throw new UsageError(command, `--${name}: unknown '${it}'; choose from ${allowed.join(', ')}`);
  }
  return [...new Set(items)] as T[];
}
