/**
 * The syntax tree of libvirt's `.x` dialect of XDR (RFC 4506 section 6, plus
 * rpcgen's `%` pass-through lines, `unsigned char`/`short`, and procedure
 * annotations in comments).
 */

/** Where a node starts in its file (1-based line and column). */
export interface Location {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A constant or a reference to a named constant. */
export type Value =
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'name'; readonly name: string; readonly loc: Location };

/** The XDR primitive types, with libvirt's small-integer additions. */
export type PrimitiveName =
  | 'int'
  | 'unsigned int'
  | 'hyper'
  | 'unsigned hyper'
  | 'bool'
  | 'float'
  | 'double'
  | 'char'
  | 'unsigned char'
  | 'short'
  | 'unsigned short'
  | 'string'
  | 'opaque';

/** The type named in a declaration, before `*`, `[n]` or `<n>` apply. */
export type TypeSpec = { readonly kind: 'primitive'; readonly name: PrimitiveName } | { readonly kind: 'ref'; readonly name: string; readonly loc: Location };

/** How a declaration repeats its type. */
export type ArraySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'fixed'; readonly size: Value }
  | { readonly kind: 'variable'; readonly max: Value | null };

/** `type name`, `type *name`, `type name[n]`, `type name<n>`, or `void`. */
export interface Declaration {
  readonly name: string;
  readonly type: TypeSpec;
  readonly optional: boolean;
  readonly array: ArraySpec;
  readonly loc: Location;
}

/** One arm of a union: its case labels and its declaration (null for `void`). */
export interface UnionArm {
  readonly cases: readonly Value[];
  readonly decl: Declaration | null;
}

/** One member of an enum, with the comment that precedes it (annotations live there). */
export interface EnumMember {
  readonly name: string;
  readonly value: Value;
  readonly comment: string | null;
  readonly loc: Location;
}

interface DefinitionBase {
  readonly name: string;
  readonly loc: Location;
  /** The definition's source text, quoted in generated TSDoc. */
  readonly source: string;
}

/** A top-level definition. */
export type Definition =
  | (DefinitionBase & { readonly kind: 'const'; readonly value: Value })
  | (DefinitionBase & { readonly kind: 'enum'; readonly members: readonly EnumMember[] })
  | (DefinitionBase & { readonly kind: 'struct'; readonly fields: readonly Declaration[] })
  | (DefinitionBase & {
      readonly kind: 'union';
      readonly discriminant: Declaration;
      readonly arms: readonly UnionArm[];
      /** undefined: no default arm; null: `default: void;`. */
      readonly defaultArm: Declaration | null | undefined;
    })
  | (DefinitionBase & { readonly kind: 'typedef'; readonly decl: Declaration });

/** A parsed `.x` file. */
export interface XFile {
  readonly file: string;
  readonly definitions: readonly Definition[];
}
