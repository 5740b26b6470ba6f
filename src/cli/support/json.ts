/**
 * JSON as libvirt's own JSON code reads and writes it (src/util/virjson.c,
 * yajl underneath in libvirt 9.0): virJSONValueFromString parses a text into
 * a tree whose numbers keep their text, virJSONValueToString writes it back
 * compact or "pretty" (two spaces a level, an empty container as its
 * brackets around a blank line, a final newline). The qemu-* commands pass
 * QMP and guest-agent JSON through this, and so must tsvirsh.
 */
import { jsonParseError } from './yajl.js';

/** A parsed JSON value; numbers, booleans and null keep their text (libvirt stores numbers as strings). */
export type JsonValue =
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, JsonValue])[] }
  | { readonly kind: 'array'; readonly items: readonly JsonValue[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'literal'; readonly text: string };

const TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\],:]|[^\s{}[\],:"]+/g;

/** virJSONValueFromString: the value, or null when the text is not one JSON value. */
export function parseJson(text: string): JsonValue | null {
  if (jsonParseError(text) !== null) return null;
  const tokens = text.match(TOKEN) ?? [];
  let i = 0;
  const value = (): JsonValue => {
    const t = tokens[i++];
    if (t === '{') {
      const entries: [string, JsonValue][] = [];
      if (tokens[i] === '}') {
        i++;
        return { kind: 'object', entries };
      }
      for (;;) {
        const key = JSON.parse(tokens[i++]) as string;
        i++; // ':'
        entries.push([key, value()]);
        if (tokens[i++] === '}') return { kind: 'object', entries };
      }
    }
    if (t === '[') {
      const items: JsonValue[] = [];
      if (tokens[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value());
        if (tokens[i++] === ']') return { kind: 'array', items };
      }
    }
    if (t.startsWith('"')) return { kind: 'string', value: JSON.parse(t) as string };
    return { kind: 'literal', text: t };
  };
  return value();
}

/** A string as yajl writes it: `"` and `\` escaped, the usual control escapes, other control characters as `\u00XX`. */
function quote(s: string): string {
  const SHORT: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return `"${s.replace(/["\\\x00-\x1f]/g, (c) => SHORT[c] ?? `\\u00${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}"`;
}

/** virJSONValueToString: compact, or pretty (two spaces a level, `"key": value`, a final newline). */
export function jsonText(v: JsonValue, pretty: boolean): string {
  const write = (x: JsonValue, depth: number): string => {
    const pad = (d: number): string => (pretty ? `\n${'  '.repeat(d)}` : '');
    switch (x.kind) {
      case 'string':
        return quote(x.value);
      case 'literal':
        return x.text;
      case 'object':
        if (x.entries.length === 0) return pretty ? `{\n${pad(depth)}}` : '{}';
        return `{${x.entries.map(([k, e]) => `${pad(depth + 1)}${quote(k)}${pretty ? ': ' : ':'}${write(e, depth + 1)}`).join(',')}${pad(depth)}}`;
      case 'array':
        if (x.items.length === 0) return pretty ? `[\n${pad(depth)}]` : '[]';
        return `[${x.items.map((e) => `${pad(depth + 1)}${write(e, depth + 1)}`).join(',')}${pad(depth)}]`;
    }
  };
  return pretty ? `${write(v, 0)}\n` : write(v, 0);
}

/** The member `key` of an object (virJSONValueObjectGet), or undefined. */
export function jsonMember(v: JsonValue, key: string): JsonValue | undefined {
  return v.kind === 'object' ? v.entries.find(([k]) => k === key)?.[1] : undefined;
}

/** Text re-indented as libvirt pretty-prints JSON; text that is not JSON is left as it is. */
export function prettyJson(text: string): string {
  const v = parseJson(text);
  return v === null ? text : jsonText(v, true);
}
