/**
 * The functions of `libvirt-rpc/calls` (src/api/gen/calls.gen.ts): one per procedure, made from
 * its standalone descriptor and the raw layer's row (see src/api/raw-methods.ts for the row's
 * format), each taking the connection first. They call as the raw layer's methods do, so
 * `domainGetXMLDesc(conn, dom, 0)` is `conn.raw.domainGetXMLDesc(dom, 0)`.
 *
 * @module
 */
import type { Procedure, ProcedureCaller } from '../rpc/procedure.js';
import { openStreamCall } from './stream.js';

/**
 * A raw method as a function of anything that makes calls: a {@link LightConnection} from
 * `libvirt-rpc/calls`'s `open`, or a `Connection` of the root entry. `procedure` is its
 * descriptor.
 */
export type Call<M> = M extends (...a: infer A) => infer R ? ((conn: ProcedureCaller, ...a: A) => R) & { readonly procedure: Procedure } : never;

function argsOf(fields: readonly string[] | null, a: readonly unknown[]): unknown {
  if (fields === null) return undefined;
  const args: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) args[fields[i]!] = a[i];
  return args;
}

function named<F extends object>(f: F, procedure: Procedure): F {
  Object.defineProperty(f, 'name', { value: procedure.method });
  return Object.assign(f, { procedure });
}

/**
 * A call's function: the args struct from the arguments (`argList`: its fields in `.x` order,
 * `-` for none), then the call options; resolving to `.` the ret struct, `-` nothing, or the
 * named field of the ret struct. `async`, so that a bad argument rejects.
 */
export function callOf(procedure: Procedure, argList: string, result: string): never {
  const fields = argList === '-' ? null : argList.split(' ');
  const n = fields?.length ?? 0;
  const f =
    result === '.'
      ? async (conn: ProcedureCaller, ...a: unknown[]) => conn.call(procedure, argsOf(fields, a), a[n] as never)
      : result === '-'
        ? async (conn: ProcedureCaller, ...a: unknown[]) => {
            await conn.call(procedure, argsOf(fields, a), a[n] as never);
          }
        : async (conn: ProcedureCaller, ...a: unknown[]) => ((await conn.call(procedure, argsOf(fields, a), a[n] as never)) as Record<string, unknown>)[result];
  return named(f, procedure) as never;
}

/**
 * A call that opens a data stream (`mode`), sparse when its flags have `sparseFlag` (0: never):
 * resolves to the stream, or to the ret struct with `stream` added (as the raw layer's).
 */
export function streamCallOf(procedure: Procedure, argList: string, result: string, mode: 'read' | 'write' | 'duplex', sparseFlag: number): never {
  const fields = argList === '-' ? null : argList.split(' ');
  const n = fields?.length ?? 0;
  const flagsAt = fields?.indexOf('flags') ?? -1;
  const f = async (conn: ProcedureCaller, ...a: unknown[]) => {
    const sparse = sparseFlag !== 0 && ((a[flagsAt] as number) & sparseFlag) !== 0;
    const { ret, stream } = await openStreamCall(conn, procedure, argsOf(fields, a), mode, sparse, a[n] as never);
    return result === '-' ? stream : { ...(ret as object), stream };
  };
  return named(f, procedure) as never;
}
