/**
 * The SCRAM client against the RFC test vectors (RFC 7677 §3 for SHA-256, RFC 5802 §5 for
 * SHA-1), against an independent fake server written here with node:crypto, and against
 * malformed or dishonest server messages. SASLprep against RFC 4013's examples.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ScramError } from '../../../src/auth/errors.js';
import { escapeSaslName, saslprep, ScramClient, type ScramMechanism } from '../../../src/auth/scram.js';

async function scramError(p: Promise<unknown> | (() => unknown)): Promise<ScramError> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ScramError);
    return e as ScramError;
  }
  throw new Error('expected a ScramError');
}

describe('RFC test vectors', () => {
  it('SCRAM-SHA-256 (RFC 7677 §3)', async () => {
    const c = new ScramClient({ mechanism: 'SCRAM-SHA-256', username: 'user', password: 'pencil', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(c.start().toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await c.step('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(final.toString()).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(c.complete).toBe(false);
    c.finish(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='));
    expect(c.complete).toBe(true);
    expect(c.state).toBe('complete');
  });

  it('SCRAM-SHA-1 (RFC 5802 §5)', async () => {
    const c = new ScramClient({ mechanism: 'SCRAM-SHA-1', username: 'user', password: 'pencil', nonce: 'fyko+d2lbbFgONRv9qkxdawL' });
    expect(c.start().toString()).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const final = await c.step('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    expect(final.toString()).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    c.finish('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    expect(c.complete).toBe(true);
  });
});

/** A SCRAM server written from RFC 5802 with node:crypto, independent of the client's code. */
class FakeServer {
  readonly salt = randomBytes(16);
  readonly iterations = 4096;
  readonly serverNonce = randomBytes(18).toString('base64');
  private authMessage = '';
  private clientFirstBare = '';
  private combinedNonce = '';
  private readonly hash: string;
  constructor(
    mechanism: ScramMechanism,
    private readonly password: string,
  ) {
    this.hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha1';
  }
  private keys(): { storedKey: Buffer; serverKey: Buffer } {
    const size = this.hash === 'sha256' ? 32 : 20;
    const salted = pbkdf2Sync(Buffer.from(this.password, 'utf8'), this.salt, this.iterations, size, this.hash);
    const clientKey = createHmac(this.hash, salted).update('Client Key').digest();
    return {
      storedKey: createHash(this.hash).update(clientKey).digest(),
      serverKey: createHmac(this.hash, salted).update('Server Key').digest(),
    };
  }
  first(clientFirst: string): string {
    const m = /^n,(a=[^,]*)?,(n=[^,]*,r=([^,]*))$/.exec(clientFirst);
    if (!m) throw new Error(`bad client-first ${clientFirst}`);
    this.clientFirstBare = m[2]!;
    this.combinedNonce = m[3]! + this.serverNonce;
    return `r=${this.combinedNonce},s=${this.salt.toString('base64')},i=${this.iterations}`;
  }
  /** Checks the proof; returns the server-final-message (or `e=invalid-proof`). */
  final(serverFirst: string, clientFinal: string): string {
    const m = /^(c=[^,]*,r=([^,]*)),p=([^,]*)$/.exec(clientFinal);
    if (!m || m[2] !== this.combinedNonce) throw new Error(`bad client-final ${clientFinal}`);
    this.authMessage = `${this.clientFirstBare},${serverFirst},${m[1]}`;
    const { storedKey, serverKey } = this.keys();
    const signature = createHmac(this.hash, storedKey).update(this.authMessage).digest();
    const proof = Buffer.from(m[3]!, 'base64');
    const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
    if (!createHash(this.hash).update(clientKey).digest().equals(storedKey)) return 'e=invalid-proof';
    return `v=${createHmac(this.hash, serverKey).update(this.authMessage).digest('base64')}`;
  }
}

describe('against a fake server', () => {
  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-1'] as const)('%s: a full exchange with random nonces and a random password', async (mech) => {
    const password = randomBytes(12).toString('hex') + ' é,=';
    const server = new FakeServer(mech, password);
    const c = new ScramClient({ mechanism: mech, username: 'al,i=ce', password });
    const first = c.start().toString();
    expect(first).toMatch(/^n,,n=al=2Ci=3Dce,r=[A-Za-z0-9+/=]{32}$/);
    const serverFirst = server.first(first);
    const clientFinal = (await c.step(Buffer.from(serverFirst))).toString();
    const serverFinal = server.final(serverFirst, clientFinal);
    expect(serverFinal).toMatch(/^v=/);
    c.finish(serverFinal);
    expect(c.complete).toBe(true);
  });

  it('a wrong password is refused by the server (e=invalid-proof comes back as SCRAM_SERVER_ERROR)', async () => {
    const server = new FakeServer('SCRAM-SHA-256', 'right');
    const c = new ScramClient({ username: 'u', password: 'wrong' });
    const serverFirst = server.first(c.start().toString());
    const serverFinal = server.final(serverFirst, (await c.step(serverFirst)).toString());
    expect(serverFinal).toBe('e=invalid-proof');
    const err = await scramError(() => c.finish(serverFinal));
    expect(err.code).toBe('SCRAM_SERVER_ERROR');
    expect(err.message).toContain('invalid-proof');
    expect(c.state).toBe('failed');
  });

  it('never accepts a server that does not know the password (a v= signed with another key)', async () => {
    const server = new FakeServer('SCRAM-SHA-256', 'pw');
    const c = new ScramClient({ username: 'u', password: 'pw' });
    const serverFirst = server.first(c.start().toString());
    const clientFinal = (await c.step(serverFirst)).toString();
    expect(server.final(serverFirst, clientFinal)).toMatch(/^v=/);
    // What a server holding another password's ServerKey would send for the same AuthMessage.
    const otherKey = createHmac('sha256', pbkdf2Sync('other', server.salt, 4096, 32, 'sha256'))
      .update('Server Key')
      .digest();
    const forged = `v=${createHmac('sha256', otherKey).update(serverFirst).digest('base64')}`;
    const err = await scramError(() => c.finish(forged));
    expect(err.code).toBe('SCRAM_SERVER_SIGNATURE');
    expect(c.complete).toBe(false);
    expect(c.state).toBe('failed');
  });

  it('a truncated or wrong-length signature is a signature error, not an exception of another kind', async () => {
    const c = new ScramClient({ username: 'u', password: 'pw', nonce: 'abc' });
    c.start();
    await c.step('r=abcdef,s=c2FsdA==,i=1');
    expect((await scramError(() => c.finish('v=AAAA'))).code).toBe('SCRAM_SERVER_SIGNATURE');
  });
});

describe('malformed server messages', () => {
  const cases: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['not attributes', 'hello', /not an attribute/],
    ['nonce not extending ours', 'r=zzzzdef,s=c2FsdA==,i=4096', /nonce/],
    ['nonce equal to ours', 'r=abc,s=c2FsdA==,i=4096', /nonce/],
    ['missing salt', 'r=abcdef,i=4096', /r=, s=, i=/],
    ['bad base64 salt', 'r=abcdef,s=***,i=4096', /base64/],
    ['empty salt', 'r=abcdef,s=,i=4096', /salt is empty/],
    ['zero iterations', 'r=abcdef,s=c2FsdA==,i=0', /iteration count/],
    ['non-numeric iterations', 'r=abcdef,s=c2FsdA==,i=4k', /iteration count/],
    ['too many iterations', 'r=abcdef,s=c2FsdA==,i=99999999999', /above the limit/],
    ['mandatory extension', 'm=foo,r=abcdef,s=c2FsdA==,i=4096', /mandatory extension/],
  ];
  it.each(cases)('%s', async (_name, message, pattern) => {
    const c = new ScramClient({ username: 'u', password: 'pw', nonce: 'abc' });
    c.start();
    const err = await scramError(c.step(message));
    expect(err.code).toBe('SCRAM_MALFORMED');
    expect(err.message).toMatch(pattern);
    expect(c.state).toBe('failed');
  });

  it('e= in server-first is the server refusing', async () => {
    const c = new ScramClient({ username: 'u', password: 'pw', nonce: 'abc' });
    c.start();
    const err = await scramError(c.step('e=unknown-user'));
    expect(err.code).toBe('SCRAM_SERVER_ERROR');
  });

  it('server-final must be v= or e=', async () => {
    const c = new ScramClient({ username: 'u', password: 'pw', nonce: 'abc' });
    c.start();
    await c.step('r=abcdef,s=c2FsdA==,i=1,x=ignored-extension');
    expect((await scramError(() => c.finish('x=1'))).code).toBe('SCRAM_MALFORMED');
  });

  it('invalid UTF-8 from the server is malformed', async () => {
    const c = new ScramClient({ username: 'u', password: 'pw', nonce: 'abc' });
    c.start();
    expect((await scramError(c.step(Buffer.from([0x72, 0x3d, 0xff])))).code).toBe('SCRAM_MALFORMED');
  });

  it('refuses to be used out of order', async () => {
    const c = new ScramClient({ username: 'u', password: 'pw' });
    expect((await scramError(c.step('r=x,s=c2FsdA==,i=1'))).code).toBe('SCRAM_STATE');
    c.start();
    expect((await scramError(() => c.start())).code).toBe('SCRAM_STATE');
  });
});

describe('client messages', () => {
  it('puts an authorization identity in the GS2 header, and c= is its base64', async () => {
    const c = new ScramClient({ username: 'u', password: 'pw', authzid: 'ad,min', nonce: 'abc' });
    expect(c.start().toString()).toBe('n,a=ad=2Cmin,n=u,r=abc');
    const final = (await c.step('r=abcdef,s=c2FsdA==,i=1')).toString();
    expect(final.startsWith(`c=${Buffer.from('n,a=ad=2Cmin,').toString('base64')},r=abcdef,p=`)).toBe(true);
  });

  it('rejects an empty username and a nonce with a comma', async () => {
    expect((await scramError(() => new ScramClient({ username: '', password: 'pw' }))).code).toBe('SCRAM_BAD_INPUT');
    expect((await scramError(() => new ScramClient({ username: 'u', password: 'pw', nonce: 'a,b' }))).code).toBe('SCRAM_BAD_INPUT');
  });

  it('prepares the password with SASLprep by default and not with passwordPreparation: none', async () => {
    const salt = 'c2FsdA==';
    const run = async (password: string, prep: 'saslprep' | 'none') => {
      const c = new ScramClient({ username: 'u', password, nonce: 'abc', passwordPreparation: prep });
      c.start();
      return (await c.step(`r=abcdef,s=${salt},i=1`)).toString();
    };
    expect(await run('I\u00ADX', 'saslprep')).toBe(await run('IX', 'none'));
    expect(await run('I\u00ADX', 'none')).not.toBe(await run('IX', 'none'));
  });

  it('escapes saslname', () => {
    expect(escapeSaslName('a=b,c')).toBe('a=3Db=2Cc');
  });
});

describe('SASLprep (RFC 4013 §3 examples and more)', () => {
  it.each([
    ['I\u00ADX', 'IX'],
    ['user', 'user'],
    ['USER', 'USER'],
    ['\u00AA', 'a'],
    ['\u2168', 'IX'],
    ['a\u00A0b', 'a b'],
    ['caf\u0065\u0301', 'caf\u00e9'],
    ['\u0627\u0628', '\u0627\u0628'],
  ])('%j → %j', (input, output) => {
    expect(saslprep(input)).toBe(output);
  });

  it.each([
    ['\u0007', /U\+0007/],
    ['a\uE000', /U\+E000/],
    ['\u0627\u0031', /must begin and end/],
    ['\u0627a\u0628', /may not contain left-to-right/],
    ['\uD800', /U\+D800/],
  ])('%j is refused', (input, pattern) => {
    let err: unknown;
    try {
      saslprep(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScramError);
    expect((err as ScramError).code).toBe('SCRAM_BAD_INPUT');
    expect((err as Error).message).toMatch(pattern);
  });
});
