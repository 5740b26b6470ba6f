/**
 * The object layer's methods take the C API's inputs: walks libvirt's API XML and checks that
 * every object method's parameters are its C function's inputs, less the object and the
 * wire-only counts, in C order and camelCase, unless SIGNATURE_EXCEPTIONS lists the method with
 * a reason. The parameter names are read from the methods themselves (their source text), so a
 * hand-written method is held to the rule as much as a generated one.
 */
import { describe, expect, it } from 'vitest';
import { readApiXml, type ApiArg, type ApiFunction } from '../../../codegen/api-xml.js';
import { targets } from '../../../codegen/targets.js';
import { Connection } from '../../../src/api/connection.js';
import { OBJECT_METHODS, SIGNATURE_EXCEPTIONS } from '../../../src/api/gen/object-methods.gen.js';
import * as objects from '../../../src/api/objects/index.js';

const functions = new Map(readApiXml(targets()[0]!.input.apiXml.map((d) => d.text)).functions.map((f) => [f.name, f]));

const OBJECT_TYPES =
  /^vir(Connect|Domain|Network|NetworkPort|NWFilter|NWFilterBinding|Interface|StoragePool|StorageVol|NodeDevice|Secret|DomainSnapshot|DomainCheckpoint|Stream)Ptr$/;

/** Counts that size another argument (an array, a buffer, a struct) and never carry a choice of the caller's. */
const COUNTS = new Set([
  'nparams',
  'maplen',
  'maxinfo',
  'ncpumaps',
  'maxnames',
  'maxids',
  'maxuuids',
  'nameslen',
  'nr_stats',
  'maxerrors',
  'value_size',
  'nkeys',
  'npages',
]);

/**
 * The arrays an argument counts: one named after it (`nkeycodes` counts `keycodes`) or named in
 * its description ("number of items in the @pageSizes and @pageCounts arrays").
 */
function countedBy(a: ApiArg, fn: ApiFunction): string[] {
  if (/\*|Ptr$/.test(a.type) || !/number of/i.test(a.info)) return [];
  const named = [...a.info.matchAll(/@(\w+)/g)].map((m) => m[1]!);
  return fn.args.filter((b) => b !== a && (named.includes(b.name) || a.name === `n${b.name}`)).map((b) => b.name);
}

function isCount(a: ApiArg, fn: ApiFunction): boolean {
  if (COUNTS.has(a.name) || countedBy(a, fn).length > 0) return true;
  // virDomainBlockStats' `size` is sizeof(the struct), not virDomainBlockPeek's byte count.
  if (a.name === 'size' && /structure/.test(a.info)) return true;
  // `ncpus` is the length of an array of CPU definitions (virConnectBaselineCPU).
  return a.name === 'ncpus' && fn.args.some((b) => b.type === 'const char **');
}

/** Whether a C argument is an input, by libvirt's conventions for C prototypes. */
function isInput(a: ApiArg, fn: ApiFunction): boolean {
  if (!/\*|Ptr$/.test(a.type)) return true; // by value
  if (a.type.startsWith('const ')) return true;
  if (OBJECT_TYPES.test(a.type)) return true;
  // A typed-parameter array is the setter's input and the getter's output.
  if (a.type === 'virTypedParameterPtr') return !/Get|Stats/.test(fn.name);
  // CPU maps say (IN) or (OUT).
  if (a.type === 'unsigned char *') return /\(IN\)/.test(a.info);
  // Otherwise an array whose length the caller gives is the caller's input, unless it is filled in.
  return !/\(OUT\)|output|return|store/i.test(a.info) && fn.args.some((c) => countedBy(c, fn).includes(a.name));
}

/** The parameters the rule expects: C inputs less the object and the counts, camelCase. */
function expected(fn: ApiFunction): string[] {
  const args = fn.args.filter((a, i) => !(i === 0 && OBJECT_TYPES.test(a.type)));
  return args.filter((a) => isInput(a, fn) && !isCount(a, fn)).map((a) => a.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
}

/** The parameter names of a method, from its source text, without the trailing call options. */
function paramsOf(method: (...args: never[]) => unknown): string[] {
  const text = method.toString();
  const open = text.indexOf('(');
  let depth = 0;
  let end = open;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  const names = text
    .slice(open + 1, end)
    .split(',')
    .map((p) => p.trim().split(/[\s=:]/)[0]!)
    .filter((p) => p.length > 0);
  return names.at(-1) === 'options' ? names.slice(0, -1) : names;
}

const classes: Record<string, { prototype: object }> = { ...(objects as unknown as Record<string, { prototype: object }>), Connection };

describe('object method signatures against the API XML', () => {
  it('covers every public API that acts on an object or a connection and has a procedure', () => {
    expect(OBJECT_METHODS.length).toBeGreaterThan(350);
  });

  it.each(OBJECT_METHODS.map((m) => [`${m.owner}.${m.method}`, m] as const))('%s', (_name, m) => {
    const fn = functions.get(m.api);
    expect(fn, m.api).toBeDefined();
    const method = (classes[m.owner]!.prototype as Record<string, unknown>)[m.method] as (...args: never[]) => unknown;
    expect(method, `${m.owner}.${m.method}`).toBeTypeOf('function');
    const ours = paramsOf(method);
    if (SIGNATURE_EXCEPTIONS[m.api]) {
      // Listed with a reason: it must really differ, or the entry is stale.
      expect(ours, `${m.api} is listed as an exception but follows the rule`).not.toEqual(expected(fn!));
      return;
    }
    expect(ours, m.api).toEqual(expected(fn!));
  });

  it('lists no exception for an API without an object method', () => {
    const apis = new Set(OBJECT_METHODS.map((m) => m.api));
    for (const api of Object.keys(SIGNATURE_EXCEPTIONS)) expect(apis.has(api), api).toBe(true);
  });
});
