/**
 * The machinery of the object-layer differential test (object-differential.test.ts): a table
 * of rows, each one read-only object method called through libvirt-rpc and the same C API
 * called through python3-libvirt on the same URI, both brought to one JSON shape and compared.
 *
 * All of a table's python calls run in one python3-libvirt process (one JSON dict back), so a
 * table of a hundred rows costs one interpreter start. A python call that raises gives
 * `{ err: { code, message } }` (libvirt's error number and message); ours must then reject
 * with the same number and message.
 *
 * Values that move between two calls (the test driver's clock-derived counters, a running
 * guest's CPU time) are compared as bounds: ours is called before and after the python run,
 * and every number of python's result must lie between ours-before and ours-after.
 *
 * @module
 */
import { expect } from 'vitest';
import {
  Domain,
  DomainCheckpoint,
  DomainSnapshot,
  Interface,
  LibvirtError,
  Network,
  NetworkPort,
  NodeDevice,
  NWFilter,
  NWFilterBinding,
  Secret,
  StoragePool,
  StorageVol,
} from '../../src/index.js';
import { pyLibvirt } from './oracle.js';

/** A JSON value, as both sides are compared. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What one side gave: a value or libvirt's error. */
export type Outcome = { ok: Json } | { err: { code: number; message: string } };

/** One read-only object method, ours and python's. */
export interface DiffRow {
  /** Our class and method (`Domain.getInfo`): the distinct ones are what the test counts. */
  readonly method: string;
  /** Tells two rows of one method apart (the argument, the object). */
  readonly label?: string;
  /** Our call. */
  readonly ours: () => Promise<unknown>;
  /** The same C API through python3-libvirt: an expression over the table's python setup (`dom.info()`). */
  readonly py: string;
  /**
   * Our value (already plain: objects as their names, bigints as numbers or decimal strings,
   * bytes as arrays of numbers) → the shape compared. Default: as it is.
   */
  readonly mine?: (v: never) => Json;
  /** Python's value → the shape compared. Default: as it is. */
  readonly theirs?: (v: never) => Json;
  /**
   * Python's error message → ours, where libvirt-python makes another C call first (its
   * `listSecrets()` sizes its array with virConnectNumOfSecrets, whose error it raises).
   */
  readonly theirsError?: (message: string) => string;
  /** The value moves between calls: compare numbers as bounds (see the module's comment). */
  readonly moving?: boolean;
}

/** The key of a row in python's dict. */
export function rowKey(r: DiffRow): string {
  return r.label === undefined ? r.method : `${r.method}(${r.label})`;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Our result as plain JSON: the objects as their names (UUID strings for secrets and ports, the
 * port device for filter bindings), bigints as numbers when exact else decimal strings (what
 * `toJSON` writes), byte arrays as arrays of numbers.
 */
export function plain(v: unknown): Json {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return v >= -SAFE && v <= SAFE ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Secret || v instanceof NetworkPort) return v.uuidString;
  if (v instanceof NWFilterBinding) return v.portDev;
  if (
    v instanceof Domain ||
    v instanceof Network ||
    v instanceof StoragePool ||
    v instanceof StorageVol ||
    v instanceof NodeDevice ||
    v instanceof Interface ||
    v instanceof NWFilter ||
    v instanceof DomainSnapshot ||
    v instanceof DomainCheckpoint
  ) {
    return v.name;
  }
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  throw new Error(`no JSON form for ${typeof v}`);
}

/** Every number in an object-layer result must be exact: a lossy `Number(bigint)` is a bug. */
function unsafeNumbers(v: unknown, at = '$'): string[] {
  if (typeof v === 'number') return Number.isInteger(v) && !Number.isSafeInteger(v) ? [`${at} = ${v}`] : [];
  if (typeof v !== 'object' || v === null) return [];
  // Records and arrays only: the objects (Domain, ...) hold their connection.
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== Array.prototype) return [];
  return Object.entries(v).flatMap(([k, x]) => unsafeNumbers(x, `${at}.${k}`));
}

/** python3-libvirt's side of a table: converts results to the JSON {@link plain} gives ours. */
const PY_HELPERS = `
def _conv(v):
    if v is None or isinstance(v, (bool, float, str)):
        return v
    if isinstance(v, int):
        return v if -(2**53 - 1) <= v <= 2**53 - 1 else str(v)
    if isinstance(v, (bytes, bytearray)):
        return list(v)
    if isinstance(v, (list, tuple)):
        return [_conv(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _conv(x) for k, x in v.items()}
    if isinstance(v, (libvirt.virDomainSnapshot, libvirt.virDomainCheckpoint)):
        return v.getName()
    if isinstance(v, (libvirt.virSecret, libvirt.virNetworkPort)):
        return v.UUIDString()
    if isinstance(v, libvirt.virNWFilterBinding):
        return v.portDev()
    return v.name()
def _checked(v):
    # libvirt-python returns what the C API returns on error where that is also a value
    # (getFreeMemory's 0, guestVcpus' None); libvirt's last error tells the two apart.
    if libvirt.virGetLastError() is not None:
        raise libvirt.libvirtError("call failed")
    return v
def _run(f):
    try:
        return {"ok": _conv(f())}
    except libvirt.libvirtError as e:
        return {"err": {"code": e.get_error_code(), "message": e.get_error_message()}}
`;

/** The python program of a table: `setup` (python statements), then every row's expression. */
function pythonProgram(setup: string, rows: readonly DiffRow[]): string {
  const calls = rows.map((r) => `result[${JSON.stringify(rowKey(r))}] = _run(lambda: ${r.py})`);
  return [PY_HELPERS, setup.trim(), 'result = {}', ...calls].join('\n');
}

async function outcome(row: DiffRow): Promise<{ outcome: Outcome; raw: unknown }> {
  try {
    const raw = await row.ours();
    // The acceptance point: every result of the object layer goes through JSON.stringify.
    expect(() => JSON.stringify(raw), `${rowKey(row)}: JSON.stringify`).not.toThrow();
    expect(unsafeNumbers(raw), `${rowKey(row)}: numbers beyond 2^53 as inexact numbers`).toEqual([]);
    // A row's converter knows the shape it is given (typed loosely: `never` takes any converter).
    const mine = row.mine as ((v: Json) => Json) | undefined;
    return { outcome: { ok: mine ? mine(plain(raw)) : plain(raw) }, raw };
  } catch (e) {
    if (!(e instanceof LibvirtError)) throw new Error(`${rowKey(row)}: ours threw ${String(e)}`, { cause: e });
    return { outcome: { err: { code: e.errorCode, message: e.message } }, raw: e };
  }
}

/** JSON text with object keys sorted, so records compare whatever their field order. */
function canon(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon(v[k]!)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** Checks that python's `b` lies between ours-before `lo` and ours-after `hi`, number by number. */
function between(lo: Json, b: Json, hi: Json): boolean {
  if (typeof b === 'number' && typeof lo === 'number' && typeof hi === 'number') return lo <= b && b <= hi;
  if (typeof b === 'string' && typeof lo === 'string' && typeof hi === 'string' && /^-?\d+$/.test(b)) {
    return BigInt(lo) <= BigInt(b) && BigInt(b) <= BigInt(hi);
  }
  if (Array.isArray(b) && Array.isArray(lo) && Array.isArray(hi)) {
    return b.length === lo.length && b.length === hi.length && b.every((x, i) => between(lo[i]!, x, hi[i]!));
  }
  if (b && typeof b === 'object' && lo && typeof lo === 'object' && hi && typeof hi === 'object' && !Array.isArray(b)) {
    const keys = Object.keys(b).sort();
    const same = (o: object): boolean => JSON.stringify(Object.keys(o).sort()) === JSON.stringify(keys);
    return same(lo) && same(hi) && keys.every((k) => between((lo as Record<string, Json>)[k]!, b[k]!, (hi as Record<string, Json>)[k]!));
  }
  return canon(lo) === canon(b) && canon(b) === canon(hi);
}

/** What {@link compareTable} found. */
export interface TableReport {
  /** Rows compared (the keys). */
  readonly rows: string[];
  /** Rows where both sides failed with the same error. */
  readonly errors: string[];
  /** The distinct methods compared. */
  readonly methods: Set<string>;
}

/**
 * Runs a table against `uri`: ours (every row, then once more for the moving ones after python),
 * python's batch in one process, then compares row by row. Every mismatch is reported at once.
 */
export async function compareTable(uri: string, setup: string, rows: readonly DiffRow[]): Promise<TableReport> {
  const keys = rows.map(rowKey);
  expect(new Set(keys).size, 'row keys are unique').toBe(keys.length);
  const before: Outcome[] = [];
  for (const r of rows) before.push((await outcome(r)).outcome);
  const py = await pyLibvirt<Record<string, Outcome>>(uri, pythonProgram(setup, rows), undefined, { timeoutMs: 60_000 });
  const mismatches: string[] = [];
  const errors: string[] = [];
  for (const [i, r] of rows.entries()) {
    const key = keys[i]!;
    const theirsRaw = py[key];
    if (!theirsRaw) {
      mismatches.push(`${key}: python gave nothing`);
      continue;
    }
    let theirs: Outcome = theirsRaw;
    if ('ok' in theirsRaw && r.theirs) theirs = { ok: (r.theirs as (v: Json) => Json)(theirsRaw.ok) };
    if ('err' in theirsRaw && r.theirsError) theirs = { err: { ...theirsRaw.err, message: r.theirsError(theirsRaw.err.message) } };
    const mine = before[i]!;
    if ('err' in theirs || 'err' in mine) {
      if (canon(mine as Json) !== canon(theirs as Json)) mismatches.push(`${key}:\n  ours   ${JSON.stringify(mine)}\n  python ${JSON.stringify(theirs)}`);
      else errors.push(key);
      continue;
    }
    if (r.moving) {
      const after = (await outcome(r)).outcome;
      if (!('ok' in after) || !between(mine.ok, theirs.ok, after.ok)) {
        mismatches.push(
          `${key} (moving):\n  ours before ${JSON.stringify(mine)}\n  python      ${JSON.stringify(theirs)}\n  ours after  ${JSON.stringify(after)}`,
        );
      }
      continue;
    }
    if (canon(mine.ok) !== canon(theirs.ok)) {
      mismatches.push(`${key}:\n  ours   ${JSON.stringify(mine.ok)}\n  python ${JSON.stringify(theirs.ok)}`);
    }
  }
  expect(mismatches, `object methods that differ from python3-libvirt on ${uri}`).toEqual([]);
  return { rows: keys, errors, methods: new Set(rows.map((r) => r.method)) };
}
