/**
 * Fixtures of the RPC engine's unit tests: test procedures, hex frames, a tick. The daemon's
 * side is the one scripted peer (test/support/scripted-peer.ts).
 */
import { Buffer } from 'node:buffer';
import type { Procedure } from '../../../src/rpc/procedure.js';
import type { XdrCodec } from '../../../src/xdr/codec.js';

/** Concatenates hex strings with any spacing into bytes. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** An int codec (the args and ret of the test procedures). */
export const intCodec: XdrCodec<number> = {
  name: 'test_int',
  encode: (w, v) => w.int(v, 'test_int'),
  decode: (r) => r.int('test_int'),
};

/** A test procedure: int in, int out. */
export function testProc(over: Partial<Procedure<number, number>> = {}): Procedure<number, number> {
  return {
    program: 'remote',
    programNumber: 0x20008086,
    version: 1,
    number: 7,
    name: 'TEST_PROC_ECHO',
    api: null,
    since: null,
    method: 'testEcho',
    stream: null,
    sparse: false,
    priority: 'high',
    event: false,
    fds: false,
    generate: null,
    acl: [],
    args: intCodec,
    ret: intCodec,
    ...over,
  };
}

/** A test procedure without args or ret. */
export function voidProc(over: Partial<Procedure<void, void>> = {}): Procedure<void, void> {
  return {
    program: 'remote',
    programNumber: 0x11223344,
    version: 1,
    number: 0x666,
    name: 'TEST_PROC_VOID',
    api: null,
    since: null,
    method: 'testVoid',
    stream: null,
    sparse: false,
    priority: 'high',
    event: false,
    fds: false,
    generate: null,
    acl: [],
    args: null,
    ret: null,
    ...over,
  };
}

/** Resolves after the pending I/O callbacks have run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
