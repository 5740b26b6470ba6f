/**
 * The bridge's frame handling (src/bridge/frames.ts): cutting a byte stream into frames however it
 * is split, the size bounds, the read-only rule per procedure, and the error reply it sends,
 * checked by the engine's own encoder and decoder (src/rpc/frame.ts, the generated codecs).
 */
import { describe, expect, it } from 'vitest';
import { errorReply, FrameError, FrameSplitter, readHeader, readOnlyErrorFields, readOnlyRefusal } from '../../../src/bridge/frames.js';
import { VIR_ERR_OPERATION_DENIED, VIR_FROM_DOMAIN, VIR_FROM_NONE } from '../../../src/procedures/libvirt-api.gen.js';
import { keepaliveProcedures } from '../../../src/procedures/keepalive.gen.js';
import { qemuProcedures } from '../../../src/procedures/qemu.gen.js';
import { remoteProcedures } from '../../../src/procedures/remote.gen.js';
import { virNetMessageErrorCodec } from '../../../src/procedures/virnet.gen.js';
import { encodeFrame, type Frame, FrameReader } from '../../../src/rpc/frame.js';
import { XdrReader } from '../../../src/xdr/reader.js';

type P = { programNumber: number; version: number; number: number };

function call(p: P, serial: number, body = new Uint8Array(8)): Buffer {
  return Buffer.from(encodeFrame({ prog: p.programNumber, vers: p.version, proc: p.number, type: 0, serial, status: 0 }, body));
}

describe('FrameSplitter', () => {
  const frames = [
    call(remoteProcedures.REMOTE_PROC_CONNECT_OPEN, 1),
    call(remoteProcedures.REMOTE_PROC_DOMAIN_DESTROY, 2, new Uint8Array(40)),
    call(remoteProcedures.REMOTE_PROC_NODE_GET_INFO, 3, new Uint8Array(0)),
  ];
  const all = Buffer.concat(frames);

  it('gives back the same frames for every way of cutting the bytes', () => {
    for (const size of [1, 2, 3, 4, 5, 27, 28, 29, 40, all.length]) {
      const s = new FrameSplitter(1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < all.length; i += size) out.push(...s.push(all.subarray(i, i + size)));
      expect(out.map((f) => Buffer.from(f).toString('hex'))).toEqual(frames.map((f) => f.toString('hex')));
      expect(out.map((f) => readHeader(f).serial)).toEqual([1, 2, 3]);
    }
  });

  it('refuses a frame over the bound as soon as its length word is in, and one shorter than a header', () => {
    const s = new FrameSplitter(60);
    expect(() => s.push(call(remoteProcedures.REMOTE_PROC_DOMAIN_DESTROY, 1, new Uint8Array(40)).subarray(0, 4))).toThrow(
      new FrameError('frame of 68 bytes is over the limit of 60'),
    );
    const short = Buffer.alloc(8);
    short.writeUInt32BE(8, 0);
    expect(() => new FrameSplitter(60).push(short)).toThrow(/frame length 8 is below the 28-byte header/);
  });
});

describe('readOnlyRefusal', () => {
  const header = (p: P, type = 0) => ({ ...readHeader(call(p, 1)), type });

  it('lets through what only looks, the handshake and keepalive', () => {
    for (const p of [
      remoteProcedures.REMOTE_PROC_CONNECT_OPEN,
      remoteProcedures.REMOTE_PROC_AUTH_LIST,
      remoteProcedures.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS,
      remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC,
      remoteProcedures.REMOTE_PROC_DOMAIN_GET_STATE,
      remoteProcedures.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
      keepaliveProcedures.KEEPALIVE_PROC_PING,
    ]) {
      expect(readOnlyRefusal(header(p)), p.number.toString()).toBeNull();
    }
  });

  it('refuses what changes or opens a device, naming the API', () => {
    expect(readOnlyRefusal(header(remoteProcedures.REMOTE_PROC_DOMAIN_DESTROY))).toBe('virDomainDestroy');
    expect(readOnlyRefusal(header(remoteProcedures.REMOTE_PROC_DOMAIN_CREATE))).toBe('virDomainCreate');
    expect(readOnlyRefusal(header(remoteProcedures.REMOTE_PROC_DOMAIN_DEFINE_XML))).toBe('virDomainDefineXML');
    expect(readOnlyRefusal(header(remoteProcedures.REMOTE_PROC_DOMAIN_OPEN_CONSOLE))).toBe('virDomainOpenConsole');
    expect(readOnlyRefusal(header(remoteProcedures.REMOTE_PROC_STORAGE_VOL_DOWNLOAD))).toBe('virStorageVolDownload');
    expect(readOnlyRefusal(header(qemuProcedures.QEMU_PROC_DOMAIN_MONITOR_COMMAND))).toBe('virDomainQemuMonitorCommand');
    expect(readOnlyRefusal({ ...header(remoteProcedures.REMOTE_PROC_DOMAIN_DESTROY), procedure: 99_999 })).toMatch(/^procedure 99999 of program 0x20008086$/);
  });

  it('passes what is not a call (stream packets, replies)', () => {
    expect(readOnlyRefusal(header(remoteProcedures.REMOTE_PROC_DOMAIN_DESTROY, 3))).toBeNull();
  });
});

describe('errorReply', () => {
  it('is a REPLY with status ERROR for the same call, carrying what virCheckReadOnlyGoto raises', () => {
    const callFrame = call(remoteProcedures.REMOTE_PROC_DOMAIN_DESTROY, 77);
    const reply = errorReply(readHeader(callFrame), readOnlyErrorFields('virDomainDestroy'));
    const got: Frame[] = [];
    new FrameReader().push(reply, (f) => got.push(f));
    const [frame] = got;
    expect(frame!.header).toEqual({ prog: 0x20008086, vers: 1, proc: remoteProcedures.REMOTE_PROC_DOMAIN_DESTROY.number, type: 1, serial: 77, status: 1 });
    const err = virNetMessageErrorCodec.decode(new XdrReader(frame!.payload));
    expect(err).toMatchObject({
      code: VIR_ERR_OPERATION_DENIED,
      domain: VIR_FROM_DOMAIN,
      message: 'operation forbidden: read only access prevents virDomainDestroy',
      level: 2,
      dom: null,
      str1: 'operation forbidden: %s',
      str2: 'read only access prevents virDomainDestroy',
      str3: null,
      int1: -1,
      int2: -1,
      net: null,
    });
    expect(readOnlyErrorFields('virConnectFindStoragePoolSources').domain).toBe(VIR_FROM_NONE);
  });
});
