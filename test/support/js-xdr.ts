/**
 * @stellar/js-xdr, an independent XDR implementation, as an oracle for the
 * differential tests and the XDR benchmark: the slice of its (untyped) API
 * they use, and a few libvirt types declared in its DSL exactly as
 * remote_protocol.x declares them.
 */
import { createRequire } from 'node:module';
import { REMOTE_DOMAIN_GUEST_INFO_PARAMS_MAX, REMOTE_DOMAIN_LIST_MAX, REMOTE_STRING_MAX } from '../../src/procedures/remote.gen.js';

/** A js-xdr type: a class with static methods, or an instance of a sized type. */
export interface JsType {
  toXDR(value: unknown): Buffer;
  fromXDR(input: Uint8Array): unknown;
}
/** A js-xdr struct class. */
export interface JsStructClass extends JsType {
  new (attributes: Record<string, unknown>): JsStruct;
}
export interface JsStruct {
  readonly _attributes: Record<string, unknown>;
}
/** A js-xdr union class. */
export interface JsUnionClass extends JsType {
  new (aSwitch: number, value: unknown): JsUnion;
}
export interface JsUnion {
  switch(): number;
  arm(): string;
  value(): unknown;
}
export interface JsLargeInt {
  toBigInt(): bigint;
}
export interface TypeBuilder {
  int(): unknown;
  uint(): unknown;
  hyper(): unknown;
  uhyper(): unknown;
  double(): unknown;
  string(max: number): unknown;
  opaque(size: number): unknown;
  varArray(of: unknown, max: number): unknown;
  lookup(name: string): unknown;
  typedef(name: string, t: unknown): void;
  struct(name: string, fields: [string, unknown][]): void;
  union(name: string, cfg: { switchOn: unknown; switches: [number, string][]; arms: Record<string, unknown> }): void;
}
/** An instance of a sized js-xdr type (String, Opaque, VarArray, ...): its toXDR() encodes itself, so values go through write(). */
export interface JsInstance {
  write(value: unknown, writer: unknown): void;
  read(reader: unknown): unknown;
}
export interface JsXdr {
  XdrWriter: new () => { finalize(): Buffer };
  Int: JsType;
  UnsignedInt: JsType;
  Hyper: JsType;
  UnsignedHyper: JsType;
  Bool: JsType;
  Float: JsType;
  Double: JsType;
  String: new (max?: number) => JsInstance;
  Opaque: new (size: number) => JsInstance;
  VarOpaque: new (max?: number) => JsInstance;
  Option: new (of: unknown) => JsInstance;
  Array: new (of: unknown, size: number) => JsInstance;
  VarArray: new (of: unknown, max?: number) => JsInstance;
  config(fn: (x: TypeBuilder) => void): Record<string, unknown>;
}

export const xdr = createRequire(import.meta.url)('@stellar/js-xdr') as JsXdr;

/** A sized js-xdr type as a {@link JsType}. */
export function sized(t: JsInstance): JsType {
  return {
    toXDR(value) {
      const w = new xdr.XdrWriter();
      t.write(value, w);
      return w.finalize();
    },
    fromXDR: (input) => (t as unknown as JsType).fromXDR(input),
  };
}

/** The libvirt types, in js-xdr's DSL, as remote_protocol.x declares them. */
export const libvirtTypes = xdr.config((x) => {
  x.typedef('remote_nonnull_string', x.string(REMOTE_STRING_MAX));
  x.typedef('remote_uuid', x.opaque(16));
  x.struct('remote_nonnull_domain', [
    ['name', x.lookup('remote_nonnull_string')],
    ['uuid', x.lookup('remote_uuid')],
    ['id', x.int()],
  ]);
  x.union('remote_typed_param_value', {
    switchOn: x.int(),
    switches: [
      [1, 'i'],
      [2, 'ui'],
      [3, 'l'],
      [4, 'ul'],
      [5, 'd'],
      [6, 'b'],
      [7, 's'],
    ],
    arms: {
      i: x.int(),
      ui: x.uint(),
      l: x.hyper(),
      ul: x.uhyper(),
      d: x.double(),
      b: x.int(),
      s: x.lookup('remote_nonnull_string'),
    },
  });
  x.struct('remote_typed_param', [
    ['field', x.lookup('remote_nonnull_string')],
    ['value', x.lookup('remote_typed_param_value')],
  ]);
  x.struct('remote_connect_list_all_domains_ret', [
    ['domains', x.varArray(x.lookup('remote_nonnull_domain'), REMOTE_DOMAIN_LIST_MAX)],
    ['ret', x.uint()],
  ]);
  x.struct('remote_domain_get_xml_desc_args', [
    ['dom', x.lookup('remote_nonnull_domain')],
    ['flags', x.uint()],
  ]);
  x.struct('remote_domain_get_guest_info_ret', [['params', x.varArray(x.lookup('remote_typed_param'), REMOTE_DOMAIN_GUEST_INFO_PARAMS_MAX)]]);
  x.struct('remote_domain_get_xml_desc_ret', [['xml', x.lookup('remote_nonnull_string')]]);
});
