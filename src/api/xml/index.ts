/**
 * `libvirt-rpc/xml`: libvirt's XML as typed definitions, generated from libvirt's RelaxNG
 * schemas (9.0.0): parse, write, validate, and build the common cases.
 *
 * ```ts
 * import { parseDomainXml, domainXml, validateDomain, kvmGuest } from 'libvirt-rpc/xml';
 * const def = parseDomainXml(await dom.getXMLDesc());
 * def.devices?.disk?.push({ type: 'file', device: 'disk', source: { file: '/img/data.qcow2' }, target: { dev: 'vdb', bus: 'virtio' } });
 * console.log(validateDomain(def), domainXml(def));
 * ```
 *
 * The root entry does not load this module: the object API's typed companions
 * (`dom.getDefinition()`, `conn.defineDomain(def)`, ...) import it when first called.
 *
 * @module
 */
export * from './documents.gen.js';
export type * from './types.gen.js';
export { UNKNOWN, type Unknown, type Problem, type DocumentKind } from './codec.js';
export { XmlValidationError } from './validate.js';
export * from './builders.js';
export { parseXml, xmlAll, xmlAttr, xmlChildren, xmlFirst, xmlText, XmlReadError, type XmlElement, type XmlNode, type XmlText } from './reader.js';
