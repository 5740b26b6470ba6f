/**
 * The methods of the generated raw classes (`RawApi`, `AdminRawApi`), installed from one table
 * row each instead of being written out one by one: the generated module declares every method
 * (its signature and TSDoc, in an interface merged with the class) and lists, per procedure, the
 * args struct's fields in `.x` order and what the call resolves to. A bundle then carries a row
 * (~40 bytes) per procedure instead of a method, and an import compiles no method bodies.
 *
 * @module
 */
import { LibvirtRpcError } from '../errors/root.js';
import type { Procedure, ProcedureCaller } from '../rpc/procedure.js';
import { openStreamCall } from './stream.js';

/** Where a raw object keeps its caller. */
export const RAW_CALLER: unique symbol = Symbol('libvirt-rpc.raw.caller');

/** A raw object: anything holding its caller under {@link RAW_CALLER}. */
export interface RawHolder {
  readonly [RAW_CALLER]: ProcedureCaller;
}

/** A property {@link installRawMethods} adds and removes (see there). */
const INSTALLING = '__libvirtRpcInstalling';

/**
 * One raw method: its name (the procedure's `method`); the args struct's fields
 * in `.x` order separated by spaces (`-` when the procedure has no args struct); the result: `.`
 * the whole ret struct, `-` nothing, any other text the name of the ret struct's one field; for
 * a procedure that opens a data stream, its mode (`read`, `write`, `duplex`) and the flag that
 * makes it sparse (0: never).
 */
export type RawMethodRow = readonly [method: string, args: string, result: string, stream?: 'read' | 'write' | 'duplex', sparseFlag?: number];

/** Each table's callable procedures by raw method name, built at the first call of one of them. */
const byMethod = new WeakMap<object, Map<string, Procedure>>();

/** The procedure of `procedures` (a program's table) whose raw method is `method`. */
function procedureOf(procedures: Readonly<Record<string, Procedure>>, method: string): Procedure {
  let index = byMethod.get(procedures);
  if (index === undefined) {
    index = new Map();
    for (const p of Object.values(procedures)) if (!p.event) index.set(p.method, p);
    byMethod.set(procedures, index);
  }
  const procedure = index.get(method);
  if (procedure === undefined) throw new LibvirtRpcError('INTERNAL', `libvirt-rpc: no procedure has the raw method ${method}`);
  return procedure;
}

/** A raw method's body: the holder it was called on and its arguments. */
type RawMethod = (holder: RawHolder, a: readonly unknown[]) => Promise<unknown>;

const toUndefined = (): undefined => undefined;

/** What a raw method does (see {@link installRawMethods}), made at its first call. */
function implementation(procedures: Readonly<Record<string, Procedure>>, row: RawMethodRow): RawMethod {
  const [name, argList, result, stream, sparseFlag = 0] = row;
  let procedure: Procedure;
  try {
    procedure = procedureOf(procedures, name);
  } catch (err) {
    return () => Promise.reject(err);
  }
  const fields = argList === '-' ? null : argList.split(' ');
  const n = fields?.length ?? 0;
  const argsOf = (a: readonly unknown[]): unknown => {
    if (fields === null) return undefined;
    const args: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) args[fields[i]!] = a[i];
    return args;
  };
  if (stream) {
    const flagsAt = fields?.indexOf('flags') ?? -1;
    return async (holder, a) => {
      const sparse = sparseFlag !== 0 && ((a[flagsAt] as number) & sparseFlag) !== 0;
      const { ret, stream: s } = await openStreamCall(holder[RAW_CALLER], procedure, argsOf(a), stream, sparse, a[n] as never);
      return result === '-' ? s : { ...(ret as object), stream: s };
    };
  }
  // Not async functions: the call's own promise (and one `then` to pick the result) is all a call
  // costs here, on the path of every raw and object call.
  const pick = result === '-' ? toUndefined : result === '.' ? null : (ret: unknown): unknown => (ret as Record<string, unknown>)[result];
  return (holder, a) => {
    let reply: Promise<unknown>;
    try {
      reply = holder[RAW_CALLER].call(procedure, argsOf(a), a[n] as never);
    } catch (err) {
      return Promise.reject(err); // a method called without its raw object, for one
    }
    return pick === null ? reply : reply.then(pick);
  };
}

/**
 * Defines on `target` (a raw class's prototype) one method per row, each calling the procedure
 * of `procedures` (a program's table) whose raw method the row names, as its `method` says. The
 * methods are what the written-out ones were: the args struct built from the arguments, then
 * the call options; they return a promise, so that a bad argument rejects. Installing them
 * reads nothing of the table (it is built on first use, src/procedures/procedure.ts): a method
 * looks its procedure up, and makes its body, at its first call.
 */
export function installRawMethods(target: object, procedures: Readonly<Record<string, Procedure>>, rows: readonly RawMethodRow[]): void {
  // V8 keeps a class prototype in "fast" mode, where each property added copies the object's
  // whole property list: adding ~460 methods one by one costs O(n²), several milliseconds of
  // every import. Deleting a property first turns the object into a hash table (dictionary
  // mode), where each addition is O(1); V8 turns it back into fast mode once, in one pass, when
  // it is first used as a prototype. Nothing else about the object changes.
  (target as Record<string, unknown>)[INSTALLING] = true;
  delete (target as Record<string, unknown>)[INSTALLING];
  for (const row of rows) {
    const name = row[0];
    let impl: RawMethod | undefined;
    // A method (as a class's: no `prototype`, not a constructor), named after the row; the body is
    // made at the first call. The literal's key is the same for every row: a computed key gave
    // each row's literal a map of its own (~5 M instructions of the import).
    const method = {
      m(this: RawHolder, ...a: unknown[]): Promise<unknown> {
        impl ??= implementation(procedures, row);
        return impl(this, a);
      },
    }.m;
    Object.defineProperty(method, 'name', { value: name, configurable: true });
    Object.defineProperty(target, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}
