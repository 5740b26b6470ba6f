/**
 * The typed companions of the object API's XML methods (`dom.getDefinition()`,
 * `conn.defineDomain(def)`, ...) go through here: the XML model (src/api/xml/, generated from
 * libvirt's schemas) is imported on first use, so the root entry does not load it.
 *
 * @module
 */
import type { CallOptions } from '../../rpc/procedure.js';
import type { DocumentKind } from '../xml/codec.js';

/** Options of the companions that send a definition: call options, and whether to validate first. */
export interface DefinitionOptions extends CallOptions {
  /**
   * Check the definition against libvirt's schema before sending it (default true): a violation
   * throws an `XmlValidationError` (code `XML_INVALID`) listing each problem with its path, and
   * nothing is sent.
   */
  validate?: boolean;
}

/** Parses `xml` as a document of `kind`. */
export async function readDefinition<T>(kind: DocumentKind, xml: string): Promise<T> {
  const { parseDocument } = await import('../xml/codec.js');
  return parseDocument(kind, xml) as T;
}

/** The XML of a definition of `kind`, validated first unless `options.validate` is false. */
export async function writeDefinition(kind: DocumentKind, def: object, options?: DefinitionOptions): Promise<string> {
  const [{ serializeDocument }, { assertValidDocument }] = await Promise.all([import('../xml/codec.js'), import('../xml/validate.js')]);
  if (options?.validate !== false) assertValidDocument(kind, def);
  return serializeDocument(kind, def);
}
