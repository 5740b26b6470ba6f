/** The XML Schema datatypes libvirt's schemas use for integers: held as numbers when the text is a plain decimal. */
export const XSD_INTEGER_TYPES: ReadonlySet<string> = new Set([
  'int',
  'unsignedInt',
  'short',
  'unsignedShort',
  'long',
  'unsignedLong',
  'integer',
  'positiveInteger',
  'nonNegativeInteger',
  'byte',
  'unsignedByte',
]);
