/**
 * The client side of SCRAM-SHA-256 (RFC 7677) and SCRAM-SHA-1 (RFC 5802), without channel
 * binding (the `n` GS2 flag: libvirt's Cyrus SASL offers no `-PLUS` variants), with node:crypto.
 *
 * The exchange is three messages:
 * 1. {@link ScramClient.start} → client-first-message (`n,,n=user,r=cnonce`);
 * 2. {@link ScramClient.step} with server-first-message (`r=nonce,s=salt,i=count`) →
 *    client-final-message (`c=biws,r=nonce,p=proof`);
 * 3. {@link ScramClient.finish} with server-final-message (`v=signature`): the server proves it
 *    knows the password. A wrong signature, or `e=...`, is an error; nothing is accepted silently.
 *
 * Password preparation: RFC 5802 asks for SASLprep (RFC 4013, {@link saslprep}), the default
 * here. Cyrus SASL, which libvirtd uses, does not prepare passwords: it hashes the UTF-8 bytes as
 * given, so the libvirt layer uses `passwordPreparation: 'none'` (identical for every password
 * SASLprep leaves unchanged, which includes all printable ASCII ones).
 *
 * @module
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { ScramError } from './errors.js';

/** The SCRAM mechanisms implemented, by their SASL names. */
export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-1';

/** Hash function of each mechanism (node:crypto names) and its output size in bytes. */
const HASHES: Record<ScramMechanism, { name: string; size: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', size: 32 },
  'SCRAM-SHA-1': { name: 'sha1', size: 20 },
};

/** Whether `name` (any case) is a SCRAM mechanism this module implements. */
export function isScramMechanism(name: string): name is ScramMechanism {
  return Object.hasOwn(HASHES, name.toUpperCase());
}

/** Options of {@link ScramClient}. */
export interface ScramClientOptions {
  /** `SCRAM-SHA-256` (default) or `SCRAM-SHA-1`. */
  readonly mechanism?: ScramMechanism;
  /** The authentication identity (`n=`). */
  readonly username: string;
  /** The password. */
  readonly password: string;
  /** An authorization identity to act as (`a=` in the GS2 header); none by default. */
  readonly authzid?: string | null;
  /**
   * How the password (and usernames) are prepared: `saslprep` (RFC 4013, what RFC 5802 asks
   * for; default) or `none` (the UTF-8 bytes as given, what Cyrus SASL does).
   */
  readonly passwordPreparation?: 'saslprep' | 'none';
  /** The client nonce (printable ASCII without `,`); random (24 bytes, base64) by default. Tests only. */
  readonly nonce?: string;
  /** Largest iteration count accepted from the server (default 10,000,000; a hostile server could ask for more to stall the client). */
  readonly maxIterations?: number;
}

/** Where a {@link ScramClient} is in the exchange. */
export type ScramState = 'initial' | 'sent-first' | 'sent-final' | 'complete' | 'failed';

const DEFAULT_MAX_ITERATIONS = 10_000_000;

// ---------------------------------------------------------------------------------------------
// SASLprep (RFC 4013, the stringprep profile of RFC 3454)

/** RFC 3454 B.1: commonly mapped to nothing. */
const MAP_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;
/** RFC 3454 C.1.2: non-ASCII space characters, mapped to U+0020. */
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;
/**
 * RFC 3454 C.1.2, C.2.1, C.2.2, C.3 (private use), C.4 (non-characters), C.5 (surrogates: lone
 * ones in a JS string), C.6, C.7, C.8, C.9: prohibited after mapping and normalisation.
 */
const PROHIBITED =
  /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000\u0000-\u001F\u007F\u0080-\u009F\u06DD\u070F\u180E\u200C\u200D\u2028\u2029\u2060-\u2063\u206A-\u206F\uFEFF\uFFF9-\uFFFC\u{1D173}-\u{1D17A}\uE000-\uF8FF\u{F0000}-\u{FFFFD}\u{100000}-\u{10FFFD}\uFDD0-\uFDEF\uFFFE\uFFFF\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{FFFFE}\u{FFFFF}\u{10FFFE}\u{10FFFF}\uD800-\uDFFF\uFFFD\u0340\u0341\u200E\u200F\u202A-\u202E\u2FF0-\u2FFB\u{E0001}\u{E0020}-\u{E007F}]/u;
/**
 * Right-to-left characters (RFC 3454 D.1), approximated by the scripts written right to left;
 * JavaScript regular expressions have no Bidi_Class property.
 */
const RAND_AL_CAT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\u200F]/u;
/** Left-to-right characters (RFC 3454 D.2), approximated by letters of the other scripts. */
const L_CAT = /[\p{L}\p{Mc}]/u;

/**
 * SASLprep (RFC 4013) for stored strings (unassigned code points are allowed, as RFC 5802 says
 * for passwords): non-ASCII spaces become U+0020, "mapped to nothing" characters go, NFKC, then
 * prohibited characters and bidirectional rules are checked.
 *
 * Differences from the RFC, documented: Unicode is the engine's (newer than RFC 3454's Unicode
 * 3.2, so NFKC of characters added since may differ), and the bidi check approximates the
 * RandALCat / LCat tables by script (Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic are
 * right to left; other letters left to right).
 *
 * @throws ScramError `SCRAM_BAD_INPUT` naming the offending code point.
 */
export function saslprep(input: string): string {
  const mapped = input.replace(NON_ASCII_SPACE, ' ').replace(MAP_TO_NOTHING, '');
  const normalized = mapped.normalize('NFKC');
  const bad = PROHIBITED.exec(normalized);
  if (bad) {
    const cp = bad[0].codePointAt(0) ?? 0;
    throw new ScramError('SCRAM_BAD_INPUT', `SASLprep: prohibited character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  if (RAND_AL_CAT.test(normalized)) {
    const chars = [...normalized];
    if (chars.some((c) => L_CAT.test(c) && !RAND_AL_CAT.test(c))) {
      throw new ScramError('SCRAM_BAD_INPUT', 'SASLprep: a string with right-to-left characters may not contain left-to-right ones');
    }
    if (!RAND_AL_CAT.test(chars[0] ?? '') || !RAND_AL_CAT.test(chars[chars.length - 1] ?? '')) {
      throw new ScramError('SCRAM_BAD_INPUT', 'SASLprep: a string with right-to-left characters must begin and end with one');
    }
  }
  return normalized;
}

/** RFC 5802 `saslname`: `,` as `=2C` and `=` as `=3D`. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

// ---------------------------------------------------------------------------------------------
// Message parsing

/** Splits a SCRAM message into its `x=value` attributes, in order (values may contain `=`). */
function parseAttributes(message: string, what: string): { key: string; value: string }[] {
  if (message.length === 0) throw new ScramError('SCRAM_MALFORMED', `${what} is empty`);
  return message.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=' || !/^[A-Za-z]$/.test(part[0] ?? '')) {
      throw new ScramError('SCRAM_MALFORMED', `${what}: "${part}" is not an attribute (x=value) in "${message}"`);
    }
    return { key: part[0]!, value: part.slice(2) };
  });
}

const PRINTABLE_NONCE = /^[\x21-\x2B\x2D-\x7E]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(value: string, what: string): Buffer {
  if (!BASE64.test(value)) throw new ScramError('SCRAM_MALFORMED', `${what} is not base64: "${value}"`);
  return Buffer.from(value, 'base64');
}

function asText(message: Uint8Array | string, what: string): string {
  if (typeof message === 'string') return message;
  const text = Buffer.from(message).toString('utf8');
  if (Buffer.byteLength(text) !== message.length || text.includes('\uFFFD')) {
    throw new ScramError('SCRAM_MALFORMED', `${what} is not UTF-8`);
  }
  return text;
}

function pbkdf2Async(password: Buffer, salt: Buffer, iterations: number, size: number, hash: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, size, hash, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** The keys RFC 5802 derives from a password, salt and iteration count. */
export interface ScramKeys {
  /** `Hi(Normalize(password), salt, i)`. */
  readonly saltedPassword: Buffer;
  /** `HMAC(SaltedPassword, "Client Key")`. */
  readonly clientKey: Buffer;
  /** `H(ClientKey)`. */
  readonly storedKey: Buffer;
  /** `HMAC(SaltedPassword, "Server Key")`. */
  readonly serverKey: Buffer;
}

/** Derives the {@link ScramKeys} (PBKDF2 runs off the event loop). `password` is already prepared. */
export async function deriveScramKeys(mechanism: ScramMechanism, password: string, salt: Uint8Array, iterations: number): Promise<ScramKeys> {
  const { name, size } = HASHES[mechanism];
  const saltedPassword = await pbkdf2Async(Buffer.from(password, 'utf8'), Buffer.from(salt), iterations, size, name);
  const clientKey = createHmac(name, saltedPassword).update('Client Key').digest();
  const storedKey = createHash(name).update(clientKey).digest();
  const serverKey = createHmac(name, saltedPassword).update('Server Key').digest();
  return { saltedPassword, clientKey, storedKey, serverKey };
}

// ---------------------------------------------------------------------------------------------
// The client

/**
 * One SCRAM exchange, client side. Use it once: {@link start}, {@link step}, {@link finish}.
 * Any error moves it to `failed`.
 */
export class ScramClient {
  /** The mechanism's SASL name. */
  readonly mechanism: ScramMechanism;
  private readonly hash: string;
  private readonly password: string;
  private readonly gs2Header: string;
  private readonly clientFirstBare: string;
  private readonly clientNonce: string;
  private readonly maxIterations: number;
  private expectedServerSignature: Buffer | null = null;
  private stateValue: ScramState = 'initial';

  /** @throws ScramError `SCRAM_BAD_INPUT` for a username or password SASLprep refuses, or an empty one. */
  constructor(options: ScramClientOptions) {
    this.mechanism = options.mechanism ?? 'SCRAM-SHA-256';
    if (!Object.hasOwn(HASHES, this.mechanism)) {
      throw new ScramError('SCRAM_BAD_INPUT', `unknown SCRAM mechanism "${String(this.mechanism)}"`);
    }
    this.hash = HASHES[this.mechanism].name;
    const prep = (options.passwordPreparation ?? 'saslprep') === 'saslprep' ? saslprep : (s: string) => s;
    const username = prep(options.username);
    if (username.length === 0) throw new ScramError('SCRAM_BAD_INPUT', 'the username is empty');
    this.password = prep(options.password);
    const authzid = options.authzid ? prep(options.authzid) : '';
    this.clientNonce = options.nonce ?? randomBytes(24).toString('base64');
    if (!PRINTABLE_NONCE.test(this.clientNonce)) {
      throw new ScramError('SCRAM_BAD_INPUT', 'the client nonce must be printable ASCII without ","');
    }
    this.maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    this.gs2Header = `n,${authzid ? `a=${escapeSaslName(authzid)}` : ''},`;
    this.clientFirstBare = `n=${escapeSaslName(username)},r=${this.clientNonce}`;
  }

  /** Where the exchange is. */
  get state(): ScramState {
    return this.stateValue;
  }

  /** True once the server's signature has been verified. */
  get complete(): boolean {
    return this.stateValue === 'complete';
  }

  /** The client-first-message (UTF-8). */
  start(): Buffer {
    this.expect('initial');
    this.stateValue = 'sent-first';
    return Buffer.from(this.gs2Header + this.clientFirstBare, 'utf8');
  }

  /**
   * Takes the server-first-message, returns the client-final-message with the proof.
   *
   * @throws ScramError `SCRAM_MALFORMED` (grammar, a nonce that does not extend ours, a bad
   * salt or iteration count, an unknown mandatory `m=` extension), `SCRAM_SERVER_ERROR` for `e=`.
   */
  async step(serverFirst: Uint8Array | string): Promise<Buffer> {
    this.expect('sent-first');
    try {
      const text = asText(serverFirst, 'server-first-message');
      const attrs = parseAttributes(text, 'server-first-message');
      if (attrs[0]?.key === 'e') throw new ScramError('SCRAM_SERVER_ERROR', `the server refused: ${attrs[0].value}`);
      if (attrs[0]?.key === 'm') {
        throw new ScramError('SCRAM_MALFORMED', `server-first-message has a mandatory extension this client does not know: m=${attrs[0].value}`);
      }
      const [r, s, i] = attrs;
      if (r?.key !== 'r' || s?.key !== 's' || i?.key !== 'i') {
        throw new ScramError('SCRAM_MALFORMED', `server-first-message must start with r=, s=, i=: "${text}"`);
      }
      const nonce = r.value;
      if (!nonce.startsWith(this.clientNonce) || nonce.length <= this.clientNonce.length || !PRINTABLE_NONCE.test(nonce)) {
        throw new ScramError('SCRAM_MALFORMED', 'server-first-message: the nonce does not extend the client nonce');
      }
      const salt = decodeBase64(s.value, 'server-first-message: the salt');
      if (salt.length === 0) throw new ScramError('SCRAM_MALFORMED', 'server-first-message: the salt is empty');
      if (!/^[1-9][0-9]*$/.test(i.value)) {
        throw new ScramError('SCRAM_MALFORMED', `server-first-message: bad iteration count "${i.value}"`);
      }
      const iterations = Number(i.value);
      if (!Number.isSafeInteger(iterations) || iterations > this.maxIterations) {
        throw new ScramError('SCRAM_MALFORMED', `server-first-message: iteration count ${i.value} is above the limit ${this.maxIterations}`);
      }
      const keys = await deriveScramKeys(this.mechanism, this.password, salt, iterations);
      const withoutProof = `c=${Buffer.from(this.gs2Header, 'utf8').toString('base64')},r=${nonce}`;
      const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
      const clientSignature = createHmac(this.hash, keys.storedKey).update(authMessage).digest();
      const proof = Buffer.alloc(clientSignature.length);
      for (let k = 0; k < proof.length; k++) proof[k] = keys.clientKey[k]! ^ clientSignature[k]!;
      this.expectedServerSignature = createHmac(this.hash, keys.serverKey).update(authMessage).digest();
      this.stateValue = 'sent-final';
      return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
    } catch (e) {
      this.stateValue = 'failed';
      throw e;
    }
  }

  /**
   * Verifies the server-final-message.
   *
   * @throws ScramError `SCRAM_SERVER_SIGNATURE` when `v=` is not the expected signature,
   * `SCRAM_SERVER_ERROR` for `e=`, `SCRAM_MALFORMED` otherwise.
   */
  finish(serverFinal: Uint8Array | string): void {
    this.expect('sent-final');
    try {
      const text = asText(serverFinal, 'server-final-message');
      const [first] = parseAttributes(text, 'server-final-message');
      if (first?.key === 'e') throw new ScramError('SCRAM_SERVER_ERROR', `the server refused: ${first.value}`);
      if (first?.key !== 'v') throw new ScramError('SCRAM_MALFORMED', `server-final-message must start with v= or e=: "${text}"`);
      const signature = decodeBase64(first.value, 'server-final-message: the server signature');
      const expected = this.expectedServerSignature!;
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
        throw new ScramError(
          'SCRAM_SERVER_SIGNATURE',
          'the server signature is wrong: the server does not know the password, or the exchange was tampered with',
        );
      }
      this.stateValue = 'complete';
    } catch (e) {
      this.stateValue = 'failed';
      throw e;
    }
  }

  private expect(state: ScramState): void {
    if (this.stateValue !== state) {
      throw new ScramError('SCRAM_STATE', `SCRAM client is "${this.stateValue}", expected "${state}"`);
    }
  }
}
