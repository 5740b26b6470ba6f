/**
 * One error root: every error class in src/ extends LibvirtRpcError, carries a code in the one
 * scheme (AREA_WHAT; libvirt's VIR_ERR_* names and Node's ABORT_ERR are the documented
 * exceptions), keeps `cause`, and is branded. The classes are found by reading the sources, so a
 * new class without a case here fails the test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../../../codegen/targets.js';
import { AuthenticationError, ScramError } from '../../../src/auth/errors.js';
import { XmlReadError } from '../../../src/api/xml/reader.js';
import { XmlValidationError } from '../../../src/api/xml/validate.js';
import { EventOverflowError } from '../../../src/api/events/stream.js';
import { StreamFileError, StreamOverflowError, StreamStateError } from '../../../src/api/stream.js';
import { CliError, SignalExit } from '../../../src/cli/command.js';
import { SilentFailure, VshFailure } from '../../../src/cli/support/failures.js';
import { UnsupportedXPathError, XPathResultError } from '../../../src/cli/support/xpath.js';
import { FrameError } from '../../../src/bridge/frames.js';
import { ArgumentError, LibvirtRpcError } from '../../../src/errors/root.js';
import { AbortError, ConnectionClosedError, LibvirtError, ProtocolError, TimeoutError, TransportError, UnsupportedError } from '../../../src/rpc/errors.js';
import { CommandTransportError } from '../../../src/transport/command.js';
import { ConfigError, UriError } from '../../../src/transport/errors.js';
import { SshTransportError } from '../../../src/transport/ssh/errors.js';
import { TlsError } from '../../../src/transport/tls/errors.js';
import { XdrError, XdrErrorCode } from '../../../src/xdr/errors.js';

const cause = new Error('the cause');
const wire = { code: 42, domain: 10, message: 'Domain not found', level: 2, dom: null, str1: null, str2: null, str3: null, int1: 0, int2: 0, net: null };

/** One instance of every error class, built as the code that throws it builds it, each with a cause where the class takes one. */
const ONE_OF_EACH: Record<string, () => Error> = {
  LibvirtRpcError: () => new LibvirtRpcError('RPC_PROTOCOL', 'x', { cause }),
  ArgumentError: () => new ArgumentError('bad argument', { cause }),
  LibvirtError: () => new LibvirtError(wire, 'REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME', { cause }),
  AuthenticationError: () => new AuthenticationError('no-mechanism', 'no usable mechanism', { cause }),
  ScramError: () => new ScramError('SCRAM_BAD_INPUT', 'SASLprep: prohibited character', { cause }),
  ConnectionClosedError: () => new ConnectionClosedError('eof', 'closed', { cause }),
  ProtocolError: () => new ProtocolError('bad frame', { cause }),
  FrameError: () => new FrameError('frame of 40000000 bytes is over the limit of 33554432', { cause }),
  AbortError: () => new AbortError('aborted', { cause }),
  TimeoutError: () => new TimeoutError('timed out', 10, { cause }),
  UnsupportedError: () => new UnsupportedError('fd passing', { cause }),
  TransportError: () => new TransportError('refused', 'ECONNREFUSED', { cause }),
  CommandTransportError: () => new CommandTransportError('ssh failed', { command: 'ssh', exitCode: 255, signal: null, stderr: '', failure: 'host-key', cause }),
  SshTransportError: () => new SshTransportError('host key unknown', { failure: 'host-key', endpoint: 'h:22', cause }),
  TlsError: () => new TlsError('untrusted', 'certificate not trusted', { cause }),
  UriError: () => new UriError('invalid port "99999"', { uri: 'qemu+tcp://h:99999/system', part: 'port', cause }),
  ConfigError: () => new ConfigError('bad value', { file: 'libvirt.conf', line: 3, cause }),
  XdrError: () => new XdrError(XdrErrorCode.BOUND, 'remote_string', 'too long'),
  XmlReadError: () => new XmlReadError('XML_PARSE', 'not XML', { line: 1, column: 2, cause }),
  XmlValidationError: () => new XmlValidationError('domain definition', [{ path: 'name', message: 'required' }]),
  EventOverflowError: () => new EventOverflowError(1024),
  StreamOverflowError: () => new StreamOverflowError(1024),
  StreamStateError: () => new StreamStateError('already finished'),
  StreamFileError: () => new StreamFileError('write', cause),
  CliError: () => new CliError(['failed'], { cause }),
  VshFailure: () => new VshFailure(['failed'], 'the daemon said no', { cause }),
  SilentFailure: () => new SilentFailure(),
  SignalExit: () => new SignalExit('SIGPIPE', 141),
  UnsupportedXPathError: () => new UnsupportedXPathError('//foo[bar()]'),
  XPathResultError: () => new XPathResultError('not a node set'),
};

/** The error classes declared anywhere in src/: every class that extends Error, directly or not. */
function declaredErrorClasses(): string[] {
  const extendsOf = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/^(?:export )?class (\w+) extends (\w+)/gm)) extendsOf.set(m[1]!, m[2]!);
    }
  };
  walk(join(root, 'src'));
  const isError = (name: string, seen = new Set<string>()): boolean => {
    if (name === 'Error') return true;
    const base = extendsOf.get(name);
    return base !== undefined && !seen.has(name) && isError(base, seen.add(name));
  };
  return [...extendsOf.keys()].filter((n) => isError(n)).sort();
}

describe('one error root', () => {
  it('has a case for every error class in src/', () => {
    expect(Object.keys(ONE_OF_EACH).sort()).toEqual(declaredErrorClasses());
  });

  it.each(Object.entries(ONE_OF_EACH))('%s extends LibvirtRpcError, has a code in the scheme, and keeps its cause', (name, make) => {
    let thrown: unknown;
    try {
      throw make();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(LibvirtRpcError);
    expect(thrown).toBeInstanceOf(Error);
    // Each class brands itself: `instanceof` a subclass is not answered by the root's brand.
    const cls = (thrown as object).constructor as new (...args: never[]) => object;
    if (cls !== LibvirtRpcError) expect(new LibvirtRpcError('RPC_PROTOCOL', 'x') instanceof cls, `a root error is no ${name}`).toBe(false);
    const err = thrown as LibvirtRpcError;
    expect(err.name).toBe(name);
    expect(err.code).toMatch(/^(VIR_ERR_[A-Z0-9_]+|ABORT_ERR|[A-Z]+(_[A-Z0-9]+)+)$/);
    if (
      ![
        'SignalExit',
        'SilentFailure',
        'XdrError',
        'EventOverflowError',
        'StreamOverflowError',
        'StreamStateError',
        'UnsupportedXPathError',
        'XPathResultError',
        'XmlValidationError',
      ].includes(name)
    ) {
      expect(err.cause, `${name} keeps its cause`).toBe(cause);
    }
  });
});
