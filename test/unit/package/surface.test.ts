/**
 * The root entry exports what users use: connect, the object classes, events, streams, errors,
 * libvirt's constants and `procedures`. Wire codecs and types, the RPC engine, the transports and
 * the XDR runtime are on subpaths (libvirt-rpc/protocol, /rpc, /transport, /xdr). Prints the
 * count, so a change of the public surface shows in the test output.
 */
import { describe, expect, it } from 'vitest';
import * as root from '../../../src/index.js';
import * as protocol from '../../../src/protocol.js';
import * as xml from '../../../src/api/xml/index.js';

describe('the public surface', () => {
  const names = Object.keys(root).sort();
  const constants = names.filter((n) => n.startsWith('VIR_') || /^vir[A-Z]/.test(n));
  const rest = names.filter((n) => !constants.includes(n));

  it('has no codecs, wire types or engine internals at the root', () => {
    console.log(`root entry: ${names.length} runtime exports: ${constants.length} libvirt constants and enums, ${rest.length} others`);
    expect(names.filter((n) => n.endsWith('Codec'))).toEqual([]);
    for (const internal of [
      'FrameReader',
      'encodeFrame',
      'Keepalive',
      'RpcClient',
      'commandEnv',
      'shellEscape',
      'openStreamCall',
      'PYTHON_PARITY',
      'remoteProcedures',
      'XdrReader',
      'XdrWriter',
      'planRemoteConnection',
      'dialPlan',
      'RawApi',
      'migrateDomain',
    ]) {
      expect(names, internal).not.toContain(internal);
    }
    expect(rest.length).toBeLessThan(150);
  });

  it('has what users call', () => {
    for (const name of [
      'connect',
      'Connection',
      'Domain',
      'Network',
      'StoragePool',
      'StorageVol',
      'NodeDevice',
      'Secret',
      'LibvirtStream',
      'readAll',
      'pipeToFile',
      'LibvirtError',
      'LibvirtRpcError',
      'ConnectionClosedError',
      'UriError',
      'procedures',
      'domainStateName',
      'parseXml',
      'VIR_DOMAIN_RUNNING',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('keeps the typed XML model on the xml subpath', () => {
    expect(Object.keys(xml)).toEqual(
      expect.arrayContaining([
        'parseDomainXml',
        'domainXml',
        'validateDomain',
        'parseNetworkXml',
        'parseDomainCapabilitiesXml',
        'kvmGuest',
        'natNetwork',
        'dirPool',
        'qcow2Volume',
        'XmlValidationError',
        'UNKNOWN',
      ]),
    );
    for (const name of ['parseDomainXml', 'kvmGuest', 'XmlValidationError']) expect(names, name).not.toContain(name);
  });

  it('keeps the wire protocol on the protocol subpath', () => {
    expect(Object.keys(protocol)).toEqual(expect.arrayContaining(['remoteProcedures', 'remoteNonnullDomainCodec', 'RawApi', 'AdminRawApi', 'procedures']));
  });
});
