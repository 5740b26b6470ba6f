/**
 * The validator (src/api/xml/validate.ts): each broken definition of test/support/broken-definitions.ts
 * is flagged with its path; good ones (the builders', parsed documents) are clean; the error
 * thrown lists the problems.
 */
import { describe, expect, it } from 'vitest';
import { validateDocument } from '../../../src/api/xml/validate.js';
import {
  dirPool,
  kvmGuest,
  natNetwork,
  parseDomainXml,
  qcow2Volume,
  validateDomain,
  validateNetwork,
  validateStoragePool,
  validateStorageVol,
  XmlValidationError,
} from '../../../src/api/xml/index.js';
import { assertValidDocument } from '../../../src/api/xml/validate.js';
import { BROKEN } from '../../support/broken-definitions.js';

describe('the validator', () => {
  it.each(BROKEN.map((b) => [b.what, b] as const))('flags %s with its path', (_, b) => {
    const problems = validateDocument(b.kind, b.def).map((p) => `${p.path}: ${p.message}`);
    expect(problems.length, problems.join('\n')).toBe(1);
    expect(problems[0]!.startsWith(b.problem), `${problems[0]} should start with ${b.problem}`).toBe(true);
  });

  it('passes the builders’ definitions', () => {
    expect(
      validateDomain(
        kvmGuest({ name: 'web', disks: ['/img/web.qcow2'], cdrom: '/iso/debian.iso', nics: ['default', { bridge: 'br0', mac: '52:54:00:00:00:01' }] }),
      ),
    ).toEqual([]);
    expect(validateNetwork(natNetwork({ name: 'nat', bridge: 'virbr9' }))).toEqual([]);
    expect(validateStoragePool(dirPool({ name: 'images', path: '/var/lib/images', mode: '0711' }))).toEqual([]);
    expect(validateStorageVol(qcow2Volume({ name: 'web.qcow2', capacityGiB: 10, backingStore: { path: '/img/base.qcow2' } }))).toEqual([]);
  });

  it('flags shapes: a single value where the element repeats, an object where a flag is, a property the schema lacks', () => {
    const def = parseDomainXml("<domain type='kvm'><name>x</name><features><acpi/></features></domain>");
    Object.assign(def, { os: { type: { value: 'hvm' }, boot: { dev: 'hd' } }, features: { acpi: 'yes' }, nmae: 'typo' });
    expect(validateDomain(def).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'os.boot: expected an array (the element may repeat), got object',
      'features.acpi: expected true (an empty element), got string',
      'nmae: not in the schema',
    ]);
  });

  it('checks XSD integer ranges and patterns', () => {
    const def = { ...kvmGuest({ name: 'x' }), vcpu: { value: 4294967296 } };
    expect(validateDomain(def).map((p) => p.path)).toEqual(['vcpu.value']);
    expect(validateDomain({ ...kvmGuest({ name: 'x' }), uuid: 'not-a-uuid' }).map((p) => p.path)).toEqual(['uuid']);
  });

  it('throws an XmlValidationError listing every problem', () => {
    const bad = { type: 'kvmm', devices: { disk: [{ target: {} }] } };
    let err: unknown;
    try {
      assertValidDocument('domain', bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XmlValidationError);
    expect((err as XmlValidationError).code).toBe('XML_INVALID');
    expect((err as XmlValidationError).problems.map((p) => p.path)).toEqual(['type', 'name', 'devices.disk[0].target.dev']);
    expect((err as Error).message).toMatch(
      /^invalid domain definition: type: 'kvmm' is not one of .*; name: required; devices\.disk\[0\]\.target\.dev: required$/,
    );
  });
});
