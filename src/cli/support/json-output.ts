/**
 * `--json`: tsvirsh's machine-readable output of the listing and info commands (beyond virsh,
 * off by default). Each command prints one JSON document on one line, with the data its text
 * output shows, numbers as numbers; docs/tsvirsh-json.md is the schema.
 */
import type { ParsedOptions } from '../command.js';
import { field } from './format.js';

/** True when the command line asked for JSON (`--json`, taken by commands with the `json` extension). */
export const wantsJson = (opts: ParsedOptions): boolean => opts.bool('json');

/** A 64-bit value as a JSON number when it is exact, else as its decimal string (the object API's toJSON rule). */
export const jsonNumber = (v: number | bigint): number | string =>
  typeof v === 'number' ? v : v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();

/** Prints `value` as one line of JSON (bigints by {@link jsonNumber}). */
export function printJson(ctx: { print(text: string): void }, value: unknown): void {
  ctx.print(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? jsonNumber(v) : v))}\n`);
}

/**
 * An info command's output written once for both forms: virsh's `label value` lines, printed as
 * they come (so a failure part way leaves the lines before it, as in virsh), or with `--json` the
 * object {@link InfoFields.done} prints.
 */
export interface InfoFields {
  /** The JSON object so far (a command may set a key that has no line of its own). */
  readonly json: Record<string, unknown>;
  /**
   * A `%-15s %s` line (`width` for other paddings); `key` names it in the JSON object, with
   * `value` (default: the text's value) as its JSON value. No key: a line only.
   */
  add(label: string, text: string | number | bigint, key?: string, value?: unknown, width?: number): void;
  /** A line in a layout of its own, with its JSON key and value. */
  addLine(line: string, key: string, value: unknown): void;
  /** The end: prints the JSON object when asked for JSON (the lines are out already). */
  done(): void;
}

/** A new {@link InfoFields} printing to `ctx`, as JSON when `json`. */
export function infoFields(ctx: { print(text: string): void }, json: boolean): InfoFields {
  const record: Record<string, unknown> = {};
  return {
    json: record,
    add(label, value, key, jsonValue, width = 15) {
      if (!json) ctx.print(field(label, value, width));
      if (key !== undefined) record[key] = jsonValue === undefined ? value : jsonValue;
    },
    addLine(line, key, value) {
      if (!json) ctx.print(line);
      record[key] = value;
    },
    done() {
      if (json) printJson(ctx, record);
    },
  };
}
