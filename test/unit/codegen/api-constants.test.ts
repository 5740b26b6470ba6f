/**
 * The public constants generated from the API XML (src/procedures/libvirt-api.gen.ts):
 * every numeric one is an integer, including those the XML defines by naming another
 * value (`VIR_DOMAIN_DEVICE_MODIFY_CONFIG` = `VIR_DOMAIN_AFFECT_CONFIG`).
 */
import { describe, expect, it } from 'vitest';
import { readApiXml } from '../../../codegen/api-xml.js';
import * as api from '../../../src/procedures/libvirt-api.gen.js';

describe('generated libvirt constants', () => {
  it('are integers, never NaN', () => {
    const bad = Object.entries(api).filter(([, v]) => typeof v === 'number' && !Number.isSafeInteger(v));
    expect(bad).toEqual([]);
  });

  it('resolve values written as the name of another value', () => {
    expect(api.VIR_DOMAIN_DEVICE_MODIFY_CONFIG).toBe(api.VIR_DOMAIN_AFFECT_CONFIG);
    expect(api.VIR_DOMAIN_DEVICE_MODIFY_LIVE).toBe(api.VIR_DOMAIN_AFFECT_LIVE);
    expect(api.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE).toBe(api.VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    expect(api.VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER).toBe(api.VIR_CONNECT_LIST_DOMAINS_OTHER);
    expect(api.VIR_DOMAIN_BLKIO_PARAM_ULLONG).toBe(api.VIR_TYPED_PARAM_ULLONG);
    expect(api.VIR_DOMAIN_VCPU_CONFIG).toBe(api.VIR_DOMAIN_AFFECT_CONFIG);
  });
});

describe('readApiXml enum values', () => {
  const doc = (enums: string): string => `<api>${enums}</api>`;
  it('follows references in any order, across documents', () => {
    const d = readApiXml([
      doc(`<enum name='B' file='f' type='t' value='A'/><enum name='C' file='f' type='t' value='B'/>`),
      doc(`<enum name='A' file='f' type='t' value='4'/>`),
    ]);
    expect(Object.fromEntries(d.enums.map((e) => [e.name, e.value]))).toEqual({ B: 4, C: 4, A: 4 });
  });

  it('fails generation, naming the enum, when a value cannot be worked out', () => {
    expect(() => readApiXml([doc(`<enum name='X' file='f' type='t' value='NOPE'/>`)])).toThrow(/enum X \("NOPE"\)/);
    expect(() => readApiXml([doc(`<enum name='Y' file='f' type='t' value='Y'/>`)])).toThrow(/enum Y/);
  });
});
