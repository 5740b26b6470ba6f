/**
 * What the functions of `libvirt-rpc/calls` (src/api/gen/calls.gen.ts) run: each is an arrow
 * function (which a bundler knows has no side effects, so it drops those nobody calls) passing
 * its standalone descriptor and the raw layer's row (see src/api/raw-methods.ts for the row's
 * format) to {@link call} or {@link streamCall}, the connection first. They call as the raw layer's methods do, so
 * `domainGetXMLDesc(conn, dom, 0)` is `conn.raw.domainGetXMLDesc(dom, 0)`.
 *
 * @module
 */
import type { Procedure, ProcedureCaller } from '../rpc/procedure.js';
import { openStreamCall } from './stream.js';

/**
 * A raw method as a function of anything that makes calls: a {@link LightConnection} from
 * `libvirt-rpc/calls`'s `open`, or a `Connection` of the root entry.
 */
export type Call<M> = M extends (...a: infer A) => infer R ? (conn: ProcedureCaller, ...a: A) => R : never;

function argsOf(argList: string, a: readonly unknown[]): unknown {
  if (argList === '-') return undefined;
  const fields = argList.split(' ');
  const args: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) args[fields[i]!] = a[i];
  return args;
}

/** The number of arguments before the call options. */
const arity = (argList: string): number => (argList === '-' ? 0 : argList.split(' ').length);

/**
 * One call of a generated function: the args struct from the arguments `a` (`argList`: its fields
 * in `.x` order, `-` for none), then the call options; resolving to `.` the ret struct, `-`
 * nothing, or the named field of the ret struct. `async`, so that a bad argument rejects.
 */
export async function call(conn: ProcedureCaller, procedure: Procedure, argList: string, result: string, a: readonly unknown[]): Promise<never> {
  const ret = await conn.call(procedure, argsOf(argList, a), a[arity(argList)] as never);
  return (result === '.' ? ret : result === '-' ? undefined : (ret as Record<string, unknown>)[result]) as never;
}

/**
 * One call that opens a data stream (`mode`), sparse when its flags have `sparseFlag` (0:
 * never): resolves to the stream, or to the ret struct with `stream` added (as the raw layer's).
 */
export async function streamCall(
  conn: ProcedureCaller,
  procedure: Procedure,
  argList: string,
  result: string,
  mode: 'read' | 'write' | 'duplex',
  sparseFlag: number,
  a: readonly unknown[],
): Promise<never> {
  const flagsAt = argList === '-' ? -1 : argList.split(' ').indexOf('flags');
  const sparse = sparseFlag !== 0 && ((a[flagsAt] as number) & sparseFlag) !== 0;
  const { ret, stream } = await openStreamCall(conn, procedure, argsOf(argList, a), mode, sparse, a[arity(argList)] as never);
  return (result === '-' ? stream : { ...(ret as object), stream }) as never;
}
