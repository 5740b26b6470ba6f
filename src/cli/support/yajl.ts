/**
 * Whether a text is JSON as yajl 2 (libvirt 9.0's parser, called by
 * virJSONValueFromString) decides it, and when it is not, yajl's error as
 * yajl_get_error writes it in verbose form: `lexical error: ...` or
 * `parse error: ...`, then up to 30 bytes of the text either side of where
 * it stopped, placed so that the stop falls under the arrow. libvirt reports
 * it as `cannot parse json TEXT: ERROR` (and virsh after its own line, as
 * qemu-monitor-command's "failed to wrap arguments" does).
 *
 * The lexer and the parser's states follow yajl_lex.c and yajl_parser.c:
 * no comments, no trailing garbage, strings validated.
 */

const LEX_ERRORS = {
  invalidChar: 'invalid char in json text.',
  invalidString: 'invalid string in json text.',
  invalidJsonChar: 'invalid character inside string.',
  invalidEscape: "inside a string, '\\' occurs before a character which it may not.",
  invalidHex: "invalid (non-hex) character occurs after '\\u' inside string.",
  invalidUtf8: 'invalid bytes in UTF8 string.',
  afterMinus: 'malformed number, a digit is required after the minus sign.',
  afterDecimal: 'malformed number, a digit is required after the decimal point.',
  afterExponent: 'malformed number, a digit is required after the exponent.',
  comment: 'probable comment found in input text, comments are not enabled.',
} as const;

type Token = '{' | '}' | '[' | ']' | ',' | ':' | 'value' | 'string' | 'eof';
type Failure = { readonly kind: 'lexical' | 'parse'; readonly message: string; readonly offset: number };

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isHex = (c: number | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(c));

/** yajl's lexer over the bytes: the next token, or a lexical failure; `pos` is the bytes consumed. */
function lexer(bytes: Uint8Array): { next(): Token | Failure; readonly pos: number; readonly tokenLength: number } {
  let pos = 0;
  let start = 0;
  const fail = (message: string, at = pos): Failure => ({ kind: 'lexical', message, offset: at });
  const literal = (rest: string): Token | Failure => {
    for (const ch of rest) {
      if (pos >= bytes.length) return 'eof';
      if (bytes[pos] !== ch.charCodeAt(0)) return fail(LEX_ERRORS.invalidString);
      pos++;
    }
    return 'value';
  };
  const string = (): Token | Failure => {
    for (;;) {
      if (pos >= bytes.length) return 'eof';
      const c = bytes[pos++];
      if (c === 0x22) return 'string';
      if (c === 0x5c) {
        if (pos >= bytes.length) return 'eof';
        const e = bytes[pos++];
        if (e === 0x75) {
          for (let i = 0; i < 4; i++) {
            if (pos >= bytes.length) return 'eof';
            if (!isHex(bytes[pos])) return fail(LEX_ERRORS.invalidHex);
            pos++;
          }
        } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) {
          return fail(LEX_ERRORS.invalidEscape, pos - 1);
        }
      } else if (c < 0x20) {
        return fail(LEX_ERRORS.invalidJsonChar, pos - 1);
      } else if (c >= 0x80) {
        // A UTF-8 sequence: a lead byte and its continuation bytes.
        const more = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
        if (more < 0) return fail(LEX_ERRORS.invalidUtf8, pos - 1);
        for (let i = 0; i < more; i++) {
          if (pos >= bytes.length) return 'eof';
          if ((bytes[pos] & 0xc0) !== 0x80) return fail(LEX_ERRORS.invalidUtf8);
          pos++;
        }
      }
    }
  };
  const number = (): Token | Failure => {
    // yajl reads one character too far and backs up.
    if (bytes[pos] === 0x2d) pos++;
    if (pos >= bytes.length) return 'eof';
    if (bytes[pos] === 0x30) pos++;
    else if (isDigit(bytes[pos])) while (isDigit(bytes[pos])) pos++;
    else return fail(LEX_ERRORS.afterMinus);
    if (bytes[pos] === 0x2e) {
      pos++;
      if (!isDigit(bytes[pos])) return pos >= bytes.length ? 'eof' : fail(LEX_ERRORS.afterDecimal);
      while (isDigit(bytes[pos])) pos++;
    }
    if (bytes[pos] === 0x65 || bytes[pos] === 0x45) {
      pos++;
      if (bytes[pos] === 0x2b || bytes[pos] === 0x2d) pos++;
      if (!isDigit(bytes[pos])) return pos >= bytes.length ? 'eof' : fail(LEX_ERRORS.afterExponent);
      while (isDigit(bytes[pos])) pos++;
    }
    // At the very end yajl_complete_parse feeds a blank, which ends the number.
    return 'value';
  };
  return {
    get pos() {
      return pos;
    },
    /** The length yajl gives the last token's text: a string's without its quotes. */
    get tokenLength() {
      return bytes[start] === 0x22 ? pos - start - 2 : pos - start;
    },
    next() {
      while (pos < bytes.length && [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d].includes(bytes[pos])) pos++;
      start = pos;
      if (pos >= bytes.length) return 'eof';
      const c = bytes[pos];
      const ch = String.fromCharCode(c);
      if ('{}[],:'.includes(ch)) {
        pos++;
        return ch as Token;
      }
      if (c === 0x22) {
        pos++;
        return string();
      }
      if (ch === 't' || ch === 'f' || ch === 'n') {
        pos++;
        return literal(ch === 't' ? 'rue' : ch === 'f' ? 'alse' : 'ull');
      }
      if (c === 0x2d || isDigit(c)) return number();
      if (c === 0x2f) return fail(LEX_ERRORS.comment);
      pos++;
      return fail(LEX_ERRORS.invalidChar);
    },
  };
}

type State = 'start' | 'complete' | 'mapStart' | 'mapNeedKey' | 'mapSep' | 'mapNeedVal' | 'mapGotVal' | 'arrayStart' | 'arrayNeedVal' | 'arrayGotVal';

/** Where yajl stops on `bytes`, or null when they are one JSON value. */
function check(bytes: Uint8Array): Failure | null {
  const lex = lexer(bytes);
  const stack: State[] = ['start'];
  const parse = (message: string): Failure => ({ kind: 'parse', message, offset: lex.pos });
  /** A value arrived: the state it leaves its container in. */
  const gotValue = (): void => {
    const s = stack[stack.length - 1];
    stack[stack.length - 1] = s === 'start' ? 'complete' : s === 'mapNeedVal' ? 'mapGotVal' : 'arrayGotVal';
  };
  for (;;) {
    const state = stack[stack.length - 1];
    const t = lex.next();
    if (typeof t === 'object') return t;
    if (t === 'eof') break;
    switch (state) {
      case 'complete':
        return parse('trailing garbage');
      case 'start':
      case 'mapNeedVal':
      case 'arrayNeedVal':
      case 'arrayStart':
        if (t === ']' && state === 'arrayStart') {
          stack.pop();
        } else if (t === '{' || t === '[') {
          gotValue();
          stack.push(t === '{' ? 'mapStart' : 'arrayStart');
        } else if (t === 'value' || t === 'string') {
          gotValue();
        } else {
          return parse('unallowed token at this point in JSON text');
        }
        break;
      case 'mapStart':
      case 'mapNeedKey':
        if (t === 'string') stack[stack.length - 1] = 'mapSep';
        else if (t === '}' && state === 'mapStart') stack.pop();
        else return parse('invalid object key (must be a string)');
        break;
      case 'mapSep':
        if (t !== ':') return parse("object key and value must be separated by a colon (':')");
        stack[stack.length - 1] = 'mapNeedVal';
        break;
      case 'mapGotVal':
        if (t === '}') stack.pop();
        else if (t === ',') stack[stack.length - 1] = 'mapNeedKey';
        // Here yajl puts the offset back before the token ("the lexer may have eaten the bad token").
        else return { ...parse("after key and value, inside map, I expect ',' or '}'"), offset: Math.max(0, lex.pos - lex.tokenLength) };
        break;
      case 'arrayGotVal':
        if (t === ']') stack.pop();
        else if (t === ',') stack[stack.length - 1] = 'arrayNeedVal';
        else return parse("after array element, I expect ',' or ']'");
        break;
    }
  }
  // yajl_complete_parse feeds one more blank and checks the state: a failure found then stands at offset 1.
  if (stack.length === 1 && stack[0] === 'complete') return null;
  return { kind: 'parse', message: 'premature EOF', offset: 1 };
}

/** libvirt's message for a text that is not JSON (`cannot parse json TEXT: ...`), or null when it is. */
export function jsonParseError(text: string): string | null {
  const bytes = new TextEncoder().encode(text);
  const f = check(bytes);
  if (f === null) return null;
  const { offset } = f;
  const start = offset >= 30 ? offset - 30 : 0;
  const end = Math.min(offset + 30, bytes.length);
  const context = new TextDecoder().decode(bytes.subarray(start, end)).replace(/[\n\r]/g, ' ');
  const spaces = ' '.repeat(offset < 30 ? 40 - offset : 10);
  return `internal error: cannot parse json ${text}: ${f.kind} error: ${f.message}\n${spaces}${context}\n                     (right here) ------^\n`;
}
