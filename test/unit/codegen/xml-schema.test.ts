/**
 * The RelaxNG reader and element model of codegen/xml-schema on small grammars: includes and
 * `combine`, choices flattened (required only when every branch requires), element patterns of
 * one name merged, notAllowed branches dropped, nested grammars, and XSD patterns made
 * JavaScript regular expressions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitXmlModel, jsPattern } from '../../../codegen/xml-schema/emit.js';
import { Graph } from '../../../codegen/xml-schema/graph.js';
import { RngReader } from '../../../codegen/xml-schema/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'lvrpc-rng-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const grammar = (body: string) =>
  `<?xml version="1.0"?>\n<grammar xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">${body}</grammar>`;

writeFileSync(
  join(dir, 'common.rng'),
  grammar(`
  <define name="extra"><notAllowed/></define>
  <define name="size"><data type="unsignedInt"><param name="pattern">[0-9]+</param></data></define>
  <define name="mode"><data type="unsignedInt"><param name="pattern">[0-7]+</param></data></define>`),
);
writeFileSync(
  join(dir, 'thing.rng'),
  grammar(`
  <include href="common.rng"/>
  <start><ref name="thing"/></start>
  <define name="extra" combine="choice"><element name="extra"><empty/></element></define>
  <define name="thing">
    <element name="thing">
      <choice>
        <group><attribute name="type"><value>file</value></attribute><element name="source"><attribute name="file"/></element></group>
        <group><attribute name="type"><value>net</value></attribute><element name="source"><attribute name="host"/><attribute name="port"><ref name="size"/></attribute></element></group>
      </choice>
      <interleave>
        <element name="name"><text/></element>
        <zeroOrMore><element name="tag"><ref name="size"/></element></zeroOrMore>
        <optional><element name="mode"><ref name="mode"/></element></optional>
        <optional><ref name="extra"/></optional>
        <optional><element name="private"><notAllowed/></element></optional>
        <optional><grammar><include href="inner.rng"/></grammar></optional>
      </interleave>
    </element>
  </define>`),
);
writeFileSync(join(dir, 'inner.rng'), grammar(`<start><element name="inner"><attribute name="x"/></element></start>`));

describe('the XML schema compiler', () => {
  const graph = new Graph(new RngReader(dir), [{ id: 'thing', schema: 'thing.rng', typeName: 'ThingDef', stem: 'Thing' }]);
  const out = emitXmlModel(graph, [{ id: 'thing', schema: 'thing.rng', typeName: 'ThingDef', stem: 'Thing' }], ['// test']);

  it('flattens choices and merges the element patterns of one name', () => {
    expect(out.types).toContain(
      "export interface ThingDef {\n  type: 'file' | 'net';\n  source: ThingSource;\n  name: string;\n  tag?: number[];\n  mode?: string;\n  extra?: true;\n  inner?: ThingInner;\n}",
    );
    expect(out.types).toContain('export interface ThingSource {\n  file?: string;\n  host?: string;\n  port?: number;\n}');
    expect(out.types).not.toContain('private');
  });

  it('emits the tables the runtime reads', () => {
    expect(out.schema).toContain('export const ROOTS = {\n  thing: ["thing", 0],\n} as const;');
    expect(out.schema).toMatch(/\[\["unsignedInt",\{"p":\["\[0-7\]\+"\],"t":"1"\}\]\]/);
    expect(out.documents).toContain('export function parseThingXml(xml: string): ThingDef {');
  });

  it("makes XSD patterns JavaScript's: ^ and $ are literal outside classes", () => {
    expect(jsPattern('$[ ]*[a-z]+(\\[[^\\]]+\\])?')).toBe('\\$[ ]*[a-z]+(\\[[^\\]]+\\])?');
    expect(new RegExp(`^(?:${jsPattern('$VAR[^,]*')})$`).test('$VAR[@1]')).toBe(true);
    expect(jsPattern('[^/]+\\.^')).toBe('[^/]+\\.\\^');
  });
});
