import { describe, expect, it } from 'vitest';
import { jsonMember, jsonText, parseJson, prettyJson } from '../../../src/cli/support/json.js';
import { optionAliases } from '../../../src/cli/support/options.js';
import { jsonParseError } from '../../../src/cli/support/yajl.js';

describe('JSON as libvirt reads and writes it (virJSONValueFromString / ToString over yajl)', () => {
  it('keeps member order and number text, compact or pretty with two spaces', () => {
    const v = parseJson('{ "b": 1.50, "a": [true, null, {}], "s": "x\\u0001\\/y" }')!;
    expect(jsonText(v, false)).toBe('{"b":1.50,"a":[true,null,{}],"s":"x\\u0001/y"}');
    expect(jsonText(v, true)).toBe('{\n  "b": 1.50,\n  "a": [\n    true,\n    null,\n    {\n\n    }\n  ],\n  "s": "x\\u0001/y"\n}\n');
    expect(jsonText(jsonMember(v, 'b')!, false)).toBe('1.50');
    expect(jsonMember(v, 'nope')).toBeUndefined();
    expect(jsonMember(parseJson('[1]')!, 'b')).toBeUndefined();
  });
  it('leaves text that is not JSON alone when pretty-printing', () => {
    expect(prettyJson('not json')).toBe('not json');
    expect(prettyJson('[]')).toBe('[\n\n]\n');
  });
  it('refuses what yajl refuses: trailing garbage, comments, bare words, control characters in strings', () => {
    for (const bad of ['{} x', '/* c */ 1', 'nope', '"a\nb"', '{"a":1,}', '[1,]', '', '{"a"']) expect(parseJson(bad)).toBeNull();
    expect(parseJson(' 12 ')).toEqual({ kind: 'literal', text: '12' });
  });
});

describe("yajl's verbose errors, as libvirt reports them", () => {
  /** The message, the context line and the arrow (the message itself may hold newlines of the text). */
  const context = (m: string | null): string[] => {
    const lines = (m ?? '').split('\n');
    return [lines.slice(0, -3).join('\n'), lines[lines.length - 3], lines[lines.length - 2]];
  };
  it('places the stop under the arrow: 40 - offset blanks, the text around it', () => {
    expect(context(jsonParseError('{x}'))).toEqual([
      'internal error: cannot parse json {x}: lexical error: invalid char in json text.',
      `${' '.repeat(38)}{x}`,
      '                     (right here) ------^',
    ]);
    expect(jsonParseError('{"a"}')).toContain("parse error: object key and value must be separated by a colon (':')\n" + `${' '.repeat(35)}{"a"}`);
  });
  it('puts the offset back before the token after a map value, as yajl does there only', () => {
    expect(context(jsonParseError('{"a":1 "bcde"}'))[1]).toBe(`${' '.repeat(31)}{"a":1 "bcde"}`);
    expect(context(jsonParseError('{"a":[1 "bcde"]}'))[1]).toBe(`${' '.repeat(26)}{"a":[1 "bcde"]}`);
  });
  it('shows 30 bytes either side of a late stop, newlines as blanks', () => {
    const text = `{"${'a'.repeat(41)}":1,\nb}`;
    expect(context(jsonParseError(text))[1]).toBe(`${' '.repeat(10)}${'a'.repeat(24)}":1, b}`);
  });
  it('says premature EOF at offset 1 for an unfinished text', () => {
    expect(context(jsonParseError('[1, 2'))[0]).toBe('internal error: cannot parse json [1, 2: parse error: premature EOF');
    expect(context(jsonParseError('[1, 2'))[1]).toBe(`${' '.repeat(39)}[1, 2`);
  });
});

describe('VSH_OT_ALIAS options', () => {
  it('spells an alias as its option, keeping =value and leaving data after -- alone', () => {
    const rewrite = optionAliases({ tunneled: 'tunnelled' });
    expect(rewrite(['dom', '--tunneled', '--tunneled=1', '--', '--tunneled'])).toEqual(['dom', '--tunnelled', '--tunnelled=1', '--', '--tunneled']);
  });
});
