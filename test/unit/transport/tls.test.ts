import { describe, expect, it } from 'vitest';
import {
  LIBVIRT_SYSTEM_CACERT,
  LIBVIRT_SYSTEM_CACRL,
  LIBVIRT_SYSTEM_CLIENTCERT,
  LIBVIRT_SYSTEM_CLIENTKEY,
  locateTlsCredentials,
  TlsError,
  tlsPriorityToNode,
} from '../../../src/transport/tls/index.js';
import { TransportError } from '../../../src/rpc/errors.js';

describe("locateTlsCredentials (libvirt's file choice)", () => {
  const none = (): boolean => false;

  it('uses pkipath= for every file, whether or not they exist', () => {
    expect(locateTlsCredentials('/pki/', { uid: 1000, exists: none })).toEqual({
      caCert: '/pki/cacert.pem',
      caCrl: '/pki/cacrl.pem',
      clientCert: '/pki/clientcert.pem',
      clientKey: '/pki/clientkey.pem',
    });
  });

  it('root uses the system files, never ~/.pki', () => {
    const all = (): boolean => true;
    expect(locateTlsCredentials(null, { uid: 0, homeDir: '/root', exists: all })).toEqual({
      caCert: LIBVIRT_SYSTEM_CACERT,
      caCrl: LIBVIRT_SYSTEM_CACRL,
      clientCert: LIBVIRT_SYSTEM_CLIENTCERT,
      clientKey: LIBVIRT_SYSTEM_CLIENTKEY,
    });
    expect(LIBVIRT_SYSTEM_CACERT).toBe('/etc/pki/CA/cacert.pem');
    expect(LIBVIRT_SYSTEM_CLIENTCERT).toBe('/etc/pki/libvirt/clientcert.pem');
    expect(LIBVIRT_SYSTEM_CLIENTKEY).toBe('/etc/pki/libvirt/private/clientkey.pem');
  });

  it('a user takes each file from ~/.pki/libvirt when there (cert and key only as a pair), else the system one', () => {
    const have = new Set(['/home/u/.pki/libvirt/cacert.pem', '/home/u/.pki/libvirt/clientcert.pem']);
    expect(locateTlsCredentials(null, { uid: 1000, homeDir: '/home/u', exists: (p) => have.has(p) })).toEqual({
      caCert: '/home/u/.pki/libvirt/cacert.pem',
      caCrl: LIBVIRT_SYSTEM_CACRL,
      clientCert: LIBVIRT_SYSTEM_CLIENTCERT,
      clientKey: LIBVIRT_SYSTEM_CLIENTKEY,
    });
    have.add('/home/u/.pki/libvirt/clientkey.pem');
    const both = locateTlsCredentials(null, { uid: 1000, homeDir: '/home/u', exists: (p) => have.has(p) });
    expect(both.clientCert).toBe('/home/u/.pki/libvirt/clientcert.pem');
    expect(both.clientKey).toBe('/home/u/.pki/libvirt/clientkey.pem');
  });

  it('takes the home dir from $HOME', () => {
    const r = locateTlsCredentials(null, { uid: 1000, env: { HOME: '/h' }, exists: (p) => p.startsWith('/h/') });
    expect(r.caCert).toBe('/h/.pki/libvirt/cacert.pem');
  });
});

describe('tlsPriorityToNode (GnuTLS priority strings)', () => {
  it('defaults to TLS 1.2-1.3, ignoring the base keyword', () => {
    expect(tlsPriorityToNode(null)).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ignored: [] });
    expect(tlsPriorityToNode('NORMAL')).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ignored: ['NORMAL'] });
  });

  it('honours the version switches, in order', () => {
    expect(tlsPriorityToNode('NORMAL:-VERS-TLS1.3')).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(tlsPriorityToNode('NORMAL:-VERS-ALL:+VERS-TLS1.3')).toMatchObject({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    expect(tlsPriorityToNode('NONE:+VERS-TLS1.2:+VERS-TLS1.3:+AES-256-GCM')).toMatchObject({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ignored: ['+AES-256-GCM'],
    });
    expect(tlsPriorityToNode('SECURE256:+VERS-TLS1.1:%COMPAT')).toMatchObject({
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.3',
      ignored: ['SECURE256', '%COMPAT'],
    });
  });

  it('rejects strings that leave no version, or a hole', () => {
    expect(() => tlsPriorityToNode('NORMAL:-VERS-ALL')).toThrow(TlsError);
    expect(() => tlsPriorityToNode('NORMAL:-VERS-ALL')).toThrow(/enables no TLS protocol version/);
    expect(() => tlsPriorityToNode('NONE:+VERS-TLS1.1:+VERS-TLS1.3')).toThrow(/contiguous range/);
  });
});

describe('TlsError', () => {
  it('is a TransportError with a reason and a file', () => {
    const e = new TlsError('missing-file', 'Cannot read CA certificate', { errno: 'ENOENT', file: '/x' });
    expect(e).toBeInstanceOf(TransportError);
    expect(e.code).toBe('RPC_TRANSPORT');
    expect(e.errno).toBe('ENOENT');
    expect(e.reason).toBe('missing-file');
    expect(e.file).toBe('/x');
    expect(e.name).toBe('TlsError');
  });
});
