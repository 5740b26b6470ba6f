import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ConnectionClosedError,
  LibvirtError,
  LibvirtRpcError,
  ProtocolError,
  TimeoutError,
  TransportError,
  UnsupportedError,
  errorCodeName,
  errorDomainName,
} from '../../../src/rpc/errors.js';

describe('error hierarchy', () => {
  it('gives every class a stable code and its own brand', () => {
    const all = [
      [new ProtocolError('x'), ProtocolError, 'RPC_PROTOCOL'],
      [new ConnectionClosedError('eof', 'x'), ConnectionClosedError, 'RPC_CONNECTION_CLOSED'],
      [new AbortError(), AbortError, 'ABORT_ERR'],
      [new TimeoutError('x', 5), TimeoutError, 'RPC_TIMEOUT'],
      [new UnsupportedError('x'), UnsupportedError, 'RPC_UNSUPPORTED'],
      [new TransportError('x', 'ENOENT'), TransportError, 'RPC_TRANSPORT'],
    ] as const;
    for (const [err, cls, code] of all) {
      expect(err).toBeInstanceOf(cls);
      expect(err).toBeInstanceOf(LibvirtRpcError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.name).toBe(cls.name);
      for (const [, other] of all) if (other !== cls) expect(err).not.toBeInstanceOf(other);
    }
    expect(new Error('plain')).not.toBeInstanceOf(LibvirtRpcError);
  });

  it('recognises errors from another copy of the package by their Symbol.for brand', () => {
    const foreign = Object.create(Error.prototype, {
      [Symbol.for('libvirt-rpc.LibvirtRpcError')]: { value: true },
      [Symbol.for('libvirt-rpc.ConnectionClosedError')]: { value: true },
    });
    expect(foreign).toBeInstanceOf(ConnectionClosedError);
    expect(foreign).toBeInstanceOf(LibvirtRpcError);
    expect(foreign).not.toBeInstanceOf(ProtocolError);
  });

  it('keeps the cause when wrapping', () => {
    const cause = new Error('inner');
    expect(new ConnectionClosedError('error', 'outer', { cause }).cause).toBe(cause);
    expect(new AbortError('aborted', { cause: 'why' }).cause).toBe('why');
  });

  it('names libvirt error codes and domains from the generated enums', () => {
    expect(errorCodeName(42)).toBe('VIR_ERR_NO_DOMAIN');
    expect(errorDomainName(10)).toBe('VIR_FROM_QEMU');
    expect(errorCodeName(999_999)).toBeNull();
    const e = new LibvirtError({
      code: 999_999,
      domain: 999_999,
      message: 'future error',
      level: 2,
      dom: null,
      str1: null,
      str2: null,
      str3: null,
      int1: 0,
      int2: 0,
      net: null,
    });
    expect(e).toMatchObject({ codeName: null, domainName: null, errorCode: 999_999, code: 'VIR_ERR_999999', message: 'future error' });
  });
});
