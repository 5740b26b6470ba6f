/**
 * A lexer and recursive-descent parser for libvirt's `.x` files.
 *
 * Pure: text in, syntax tree out. Errors name the file, line and column.
 */
import type { ArraySpec, Declaration, Definition, EnumMember, Location, PrimitiveName, TypeSpec, UnionArm, Value, XFile } from './ast.js';

/** A syntax error in a `.x` file. */
export class XParseError extends Error {
  constructor(
    readonly loc: Location,
    message: string,
  ) {
    super(`${loc.file}:${loc.line}:${loc.column}: ${message}`);
    this.name = 'XParseError';
  }
}

type TokenKind = 'ident' | 'number' | 'punct' | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly loc: Location;
  readonly offset: number;
  readonly end: number;
  /** The last comment between the previous token and this one. */
  readonly comment: string | null;
}

const PUNCTUATION = new Set(['{', '}', '(', ')', '[', ']', '<', '>', ';', ',', '=', '*', ':']);

/** Splits `.x` text into tokens, dropping `%` pass-through lines and keeping comments. */
export function tokenize(file: string, text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let comment: string | null = null;
  const here = (): Location => ({ file, line, column: i - lineStart + 1 });
  const newline = (at: number): void => {
    line++;
    lineStart = at + 1;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      newline(i);
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    // rpcgen pass-through: a line starting with % goes to the C output only.
    if (c === '%' && text.slice(lineStart, i).trim() === '') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const start = here();
      const close = text.indexOf('*/', i + 2);
      if (close < 0) throw new XParseError(start, 'unterminated comment');
      comment = text.slice(i, close + 2);
      for (let j = i; j < close; j++) if (text[j] === '\n') newline(j);
      i = close + 2;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const loc = here();
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), loc, offset: start, end: i, comment });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      i++;
      while (i < text.length && /[0-9A-Fa-fxX]/.test(text[i])) i++;
      tokens.push({ kind: 'number', text: text.slice(start, i), loc, offset: start, end: i, comment });
    } else if (PUNCTUATION.has(c)) {
      i++;
      tokens.push({ kind: 'punct', text: c, loc, offset: start, end: i, comment });
    } else {
      throw new XParseError(loc, `unexpected character ${JSON.stringify(c)}`);
    }
    comment = null;
  }
  tokens.push({ kind: 'eof', text: '<end of file>', loc: here(), offset: i, end: i, comment });
  return tokens;
}

/** Parses an XDR integer literal: decimal, `0x` hex or leading-zero octal, optionally negative. */
export function parseNumber(text: string, loc: Location): number {
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  let v: number;
  if (/^0[xX][0-9A-Fa-f]+$/.test(body)) v = parseInt(body.slice(2), 16);
  else if (/^0[0-7]+$/.test(body)) v = parseInt(body.slice(1), 8);
  else if (/^(0|[1-9][0-9]*)$/.test(body)) v = parseInt(body, 10);
  else throw new XParseError(loc, `malformed number ${JSON.stringify(text)}`);
  return neg ? -v : v;
}

const KEYWORDS = new Set([
  'const',
  'enum',
  'struct',
  'union',
  'typedef',
  'switch',
  'case',
  'default',
  'void',
  'int',
  'unsigned',
  'hyper',
  'bool',
  'float',
  'double',
  'char',
  'short',
  'string',
  'opaque',
  'quadruple',
]);

class Parser {
  private pos = 0;
  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private fail(t: Token, expected: string): never {
    throw new XParseError(t.loc, `expected ${expected}, found ${JSON.stringify(t.text)}`);
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text || (t.kind !== 'punct' && t.kind !== 'ident')) this.fail(t, JSON.stringify(text));
    return t;
  }

  private accept(text: string): boolean {
    const t = this.peek();
    if (t.text === text && (t.kind === 'punct' || t.kind === 'ident')) {
      this.pos++;
      return true;
    }
    return false;
  }

  private identifier(what: string): Token {
    const t = this.next();
    if (t.kind !== 'ident' || KEYWORDS.has(t.text)) this.fail(t, what);
    return t;
  }

  private value(): Value {
    const t = this.next();
    if (t.kind === 'number') return { kind: 'number', value: parseNumber(t.text, t.loc), text: t.text };
    if (t.kind === 'ident' && !KEYWORDS.has(t.text)) return { kind: 'name', name: t.text, loc: t.loc };
    return this.fail(t, 'a number or a constant name');
  }

  parseFile(): XFile {
    const definitions: Definition[] = [];
    while (this.peek().kind !== 'eof') definitions.push(this.definition());
    return { file: this.file, definitions };
  }

  private definition(): Definition {
    const first = this.peek();
    const kw = this.next();
    let def: Definition;
    switch (kw.text) {
      case 'const': {
        const name = this.identifier('a constant name');
        this.expect('=');
        const value = this.value();
        def = { kind: 'const', name: name.text, value, loc: kw.loc, source: '' };
        break;
      }
      case 'enum': {
        const name = this.identifier('an enum name');
        def = { kind: 'enum', name: name.text, members: this.enumBody(), loc: kw.loc, source: '' };
        break;
      }
      case 'struct': {
        const name = this.identifier('a struct name');
        def = { kind: 'struct', name: name.text, fields: this.structBody(), loc: kw.loc, source: '' };
        break;
      }
      case 'union': {
        const name = this.identifier('a union name');
        def = { kind: 'union', name: name.text, ...this.unionBody(), loc: kw.loc, source: '' };
        break;
      }
      case 'typedef': {
        const decl = this.declaration();
        if (decl === null) this.fail(kw, 'a typedef declaration, not void');
        def = { kind: 'typedef', name: decl.name, decl, loc: kw.loc, source: '' };
        break;
      }
      default:
        this.fail(kw, 'const, enum, struct, union or typedef');
    }
    const semi = this.expect(';');
    return { ...def, source: this.text.slice(first.offset, semi.end) };
  }

  private enumBody(): EnumMember[] {
    this.expect('{');
    const members: EnumMember[] = [];
    for (;;) {
      const name = this.identifier('an enum member name');
      this.expect('=');
      members.push({ name: name.text, value: this.value(), comment: name.comment, loc: name.loc });
      if (this.accept(',')) {
        if (this.accept('}')) break; // trailing comma
        continue;
      }
      this.expect('}');
      break;
    }
    return members;
  }

  private structBody(): Declaration[] {
    this.expect('{');
    const fields: Declaration[] = [];
    while (!this.accept('}')) {
      const decl = this.declaration();
      if (decl === null) this.fail(this.peek(), 'a struct field, not void');
      fields.push(decl);
      this.expect(';');
    }
    if (fields.length === 0) this.fail(this.peek(), 'at least one struct field');
    return fields;
  }

  private unionBody(): { discriminant: Declaration; arms: UnionArm[]; defaultArm: Declaration | null | undefined } {
    this.expect('switch');
    this.expect('(');
    const discriminant = this.declaration();
    if (discriminant === null) this.fail(this.peek(), 'a discriminant declaration');
    this.expect(')');
    this.expect('{');
    const arms: UnionArm[] = [];
    let defaultArm: Declaration | null | undefined;
    while (!this.accept('}')) {
      const t = this.peek();
      if (this.accept('default')) {
        if (defaultArm !== undefined) this.fail(t, 'one default arm only');
        this.expect(':');
        defaultArm = this.declaration();
        this.expect(';');
        continue;
      }
      const cases: Value[] = [];
      while (this.accept('case')) {
        cases.push(this.value());
        this.expect(':');
      }
      if (cases.length === 0) this.fail(this.peek(), 'case, default or }');
      const decl = this.declaration();
      this.expect(';');
      arms.push({ cases, decl });
    }
    return { discriminant, arms, defaultArm };
  }

  private typeSpec(): TypeSpec | 'void' {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, 'a type');
    switch (t.text) {
      case 'void':
        return 'void';
      case 'unsigned': {
        const n = this.peek().text;
        if (n === 'int' || n === 'hyper' || n === 'char' || n === 'short') {
          this.next();
          return { kind: 'primitive', name: `unsigned ${n}` as PrimitiveName };
        }
        return { kind: 'primitive', name: 'unsigned int' };
      }
      case 'int':
      case 'hyper':
      case 'bool':
      case 'float':
      case 'double':
      case 'char':
      case 'short':
      case 'string':
      case 'opaque':
        return { kind: 'primitive', name: t.text };
      case 'quadruple':
        throw new XParseError(t.loc, 'quadruple is not supported');
      case 'struct':
      case 'union':
      case 'enum': {
        // `struct foo x;` names a type by its tag, as C allows.
        const name = this.identifier(`a ${t.text} name`);
        return { kind: 'ref', name: name.text, loc: name.loc };
      }
      default:
        if (KEYWORDS.has(t.text)) this.fail(t, 'a type');
        return { kind: 'ref', name: t.text, loc: t.loc };
    }
  }

  /** A declaration, or null for `void`. */
  private declaration(): Declaration | null {
    const start = this.peek();
    const type = this.typeSpec();
    if (type === 'void') return null;
    const optional = this.accept('*');
    const name = this.identifier('a field name');
    let array: ArraySpec = { kind: 'none' };
    if (this.accept('[')) {
      array = { kind: 'fixed', size: this.value() };
      this.expect(']');
    } else if (this.accept('<')) {
      array = { kind: 'variable', max: this.peek().text === '>' ? null : this.value() };
      this.expect('>');
    }
    if (optional && array.kind !== 'none') {
      throw new XParseError(name.loc, `${name.text}: a declaration cannot be both optional and an array`);
    }
    if (type.kind === 'primitive' && (type.name === 'string' || type.name === 'opaque')) {
      if (type.name === 'string' && array.kind !== 'variable') {
        throw new XParseError(name.loc, `${name.text}: string must be declared with <n> or <>`);
      }
      if (type.name === 'opaque' && array.kind === 'none') {
        throw new XParseError(name.loc, `${name.text}: opaque must be declared with [n], <n> or <>`);
      }
      if (optional) throw new XParseError(name.loc, `${name.text}: ${type.name} cannot be optional directly`);
    }
    return { name: name.text, type, optional, array, loc: start.loc };
  }
}

/** Parses one `.x` file. */
export function parseX(file: string, text: string): XFile {
  return new Parser(file, text, tokenize(file, text)).parseFile();
}
