/**
 * The TLS client's credentials and settings, as libvirt's TLS client reads
 * them (src/rpc/virnettlscontext.c, virnettlsconfig.c; read for the facts):
 * where the CA, CRL, certificate and key files are, which must exist,
 * libvirt's sanity checks of them, credentials given in memory instead of
 * files, and `tls_priority` mapped onto Node's TLS versions. The details are
 * in ./tls.ts's module comment; the handshake and the server's checks are there.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext, type SecureVersion } from 'node:tls';
import { brandClass } from '../errors/brand.js';
import { TransportError } from '../rpc/errors.js';
import { buildPath, effectiveUid, userHomeDir } from './config.js';
import type { RemotePlan } from './remote-plan.js';
import type { DialOptions } from './unix.js';

/** libvirt's system-wide CA certificate. */
export const LIBVIRT_SYSTEM_CACERT = '/etc/pki/CA/cacert.pem';
/** libvirt's system-wide CA revocation list. */
export const LIBVIRT_SYSTEM_CACRL = '/etc/pki/CA/cacrl.pem';
/** libvirt's system-wide client certificate. */
export const LIBVIRT_SYSTEM_CLIENTCERT = '/etc/pki/libvirt/clientcert.pem';
/** libvirt's system-wide client private key. */
export const LIBVIRT_SYSTEM_CLIENTKEY = '/etc/pki/libvirt/private/clientkey.pem';

/** Why a TLS connection was refused ({@link TlsError.reason}). */
export type TlsFailure =
  /** A certificate, key or CRL file is missing or unreadable (`file` names it). */
  | 'missing-file'
  /** A file is not a valid PEM certificate / key / CRL, or key and certificate do not match. */
  | 'bad-file'
  /** Our own certificate or CA failed libvirt's sanity checks (`no_sanity=1` skips them). */
  | 'local-certificate'
  /** The server's certificate does not chain to our CA (or is revoked, badly signed, ...). */
  | 'untrusted'
  /** The server's certificate is expired or not yet valid. */
  | 'expired'
  /** The server's certificate does not name the host of the URI. */
  | 'hostname-mismatch'
  /** The server's certificate is not usable as a server certificate (a CA, ...). */
  | 'bad-server-certificate'
  /** The TLS handshake failed (protocol versions, ciphers, an alert from the server). */
  | 'handshake'
  /** The server refused us after the handshake (usually our certificate): no confirmation byte. */
  | 'server-refused';

/**
 * A TLS connection that could not be set up. `reason` says which check failed,
 * `file` names the file concerned (when one is), the message says both in
 * words. It is a {@link TransportError} (code `RPC_TRANSPORT`), and `errno` is
 * the system error (`ENOENT`) or OpenSSL's verification code
 * (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`, ...) when there is one.
 */
export class TlsError extends TransportError {
  /** Which check failed. */
  readonly reason: TlsFailure;
  /** The certificate, key or CRL file concerned, or null. */
  readonly file: string | null;

  constructor(reason: TlsFailure, message: string, options: { errno?: string | null; file?: string | null; cause?: unknown } = {}) {
    super(message, options.errno ?? null, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TlsError';
    this.reason = reason;
    this.file = options.file ?? null;
  }
}
brandClass(TlsError, 'TlsError');

/** The files a TLS client uses ({@link locateTlsCredentials}). */
export interface TlsCredentialPaths {
  /** CA certificate(s), PEM. Must exist. */
  readonly caCert: string;
  /** CA revocation list, PEM. Used when it exists. */
  readonly caCrl: string;
  /** Client certificate, PEM. */
  readonly clientCert: string;
  /** Client private key, PEM. */
  readonly clientKey: string;
}

/** Where {@link locateTlsCredentials} takes its outside facts from. */
export interface TlsLocateEnv {
  /** Environment variables (default `process.env`): `HOME`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Effective uid (default `process.geteuid()`); non-root clients look in `~/.pki/libvirt` first. */
  readonly uid?: number;
  /** Home directory (default `$HOME`). */
  readonly homeDir?: string;
  /** Whether a file exists (default: `fs.existsSync`). */
  readonly exists?: (path: string) => boolean;
}

/**
 * Picks the CA, CRL, client certificate and key files as libvirt's TLS client
 * does (see the module comment). Pure apart from `exists`.
 */
export function locateTlsCredentials(pkiPath: string | null, env: TlsLocateEnv = {}, exists: (p: string) => boolean = defaultExists): TlsCredentialPaths {
  const has = env.exists ?? exists;
  if (pkiPath !== null) {
    return {
      caCert: buildPath(pkiPath, 'cacert.pem'),
      caCrl: buildPath(pkiPath, 'cacrl.pem'),
      clientCert: buildPath(pkiPath, 'clientcert.pem'),
      clientKey: buildPath(pkiPath, 'clientkey.pem'),
    };
  }
  let caCert: string | null = null;
  let caCrl: string | null = null;
  let clientCert: string | null = null;
  let clientKey: string | null = null;
  if (effectiveUid(env) !== 0) {
    const dir = buildPath(userHomeDir(env), '.pki', 'libvirt');
    const ca = buildPath(dir, 'cacert.pem');
    const crl = buildPath(dir, 'cacrl.pem');
    const cert = buildPath(dir, 'clientcert.pem');
    const key = buildPath(dir, 'clientkey.pem');
    if (has(ca)) caCert = ca;
    if (has(crl)) caCrl = crl;
    if (has(cert) && has(key)) {
      clientCert = cert;
      clientKey = key;
    }
  }
  return {
    caCert: caCert ?? LIBVIRT_SYSTEM_CACERT,
    caCrl: caCrl ?? LIBVIRT_SYSTEM_CACRL,
    clientCert: clientCert ?? LIBVIRT_SYSTEM_CLIENTCERT,
    clientKey: clientKey ?? LIBVIRT_SYSTEM_CLIENTKEY,
  };
}

function defaultExists(p: string): boolean {
  return existsSync(p);
}

/** What {@link tlsPriorityToNode} makes of a GnuTLS priority string. */
export interface TlsPriorityMapping {
  /** Lowest TLS version to offer. */
  readonly minVersion: SecureVersion;
  /** Highest TLS version to offer. */
  readonly maxVersion: SecureVersion;
  /** The items that were accepted but have no effect here. */
  readonly ignored: readonly string[];
}

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const GNUTLS_VERSION: Readonly<Record<string, SecureVersion>> = {
  'VERS-TLS1.0': 'TLSv1',
  'VERS-TLS1.1': 'TLSv1.1',
  'VERS-TLS1.2': 'TLSv1.2',
  'VERS-TLS1.3': 'TLSv1.3',
};

/**
 * Maps a GnuTLS priority string (`tls_priority`) onto what Node's TLS can do:
 * only the protocol versions. The base keyword sets no versions of its own
 * (TLS 1.2-1.3, Node's default) except `NONE`, which starts from none; then
 * `+VERS-TLSx.y` / `-VERS-TLSx.y` / `-VERS-ALL` / `-VERS-TLS-ALL` /
 * `+VERS-ALL` / `+VERS-TLS-ALL` switch versions on and off, in order. The
 * enabled versions must form a range (Node has only a minimum and a maximum).
 *
 * @throws TlsError (`handshake`) when the string leaves no TLS version, or a
 *   set of versions with a hole in it. DTLS and SSL3 items are ignored.
 */
export function tlsPriorityToNode(priority: string | null): TlsPriorityMapping {
  const enabled = new Set<SecureVersion>(['TLSv1.2', 'TLSv1.3']);
  const ignored: string[] = [];
  if (priority === null || priority.trim() === '') return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ignored };
  const items = priority.split(':');
  items.forEach((raw, i) => {
    const item = raw.trim();
    if (item === '') return;
    if (i === 0 && !/^[-+!]/.test(item)) {
      if (item.toUpperCase() === 'NONE') enabled.clear();
      else ignored.push(item);
      return;
    }
    const m = /^([+-])(VERS-.*)$/i.exec(item);
    if (m === null) {
      ignored.push(item);
      return;
    }
    const on = m[1] === '+';
    const what = m[2]!.toUpperCase();
    if (what === 'VERS-ALL' || what === 'VERS-TLS-ALL') {
      if (on) for (const v of VERSIONS) enabled.add(v);
      else enabled.clear();
      return;
    }
    const v = GNUTLS_VERSION[what];
    if (v === undefined) {
      ignored.push(item);
      return;
    }
    if (on) enabled.add(v);
    else enabled.delete(v);
  });
  const on = VERSIONS.filter((v) => enabled.has(v));
  if (on.length === 0) {
    throw new TlsError('handshake', `TLS priority ${JSON.stringify(priority)} enables no TLS protocol version`);
  }
  const lo = VERSIONS.indexOf(on[0]!);
  const hi = VERSIONS.indexOf(on[on.length - 1]!);
  if (hi - lo + 1 !== on.length) {
    throw new TlsError('handshake', `TLS priority ${JSON.stringify(priority)} enables ${on.join(', ')}: Node's TLS can only use a contiguous range of versions`);
  }
  return { minVersion: VERSIONS[lo]!, maxVersion: VERSIONS[hi]!, ignored };
}

/**
 * TLS credentials given in memory (PEM text), each used instead of the
 * corresponding file: a serverless client gets them from a secret store,
 * not from `~/.pki/libvirt`. The same checks apply as to files.
 */
export interface TlsMaterial {
  /** CA certificate(s) (instead of `cacert.pem`). */
  readonly ca?: string | Buffer;
  /** Client certificate (instead of `clientcert.pem`); needs `key`. */
  readonly cert?: string | Buffer;
  /** Client private key (instead of `clientkey.pem`); needs `cert`. */
  readonly key?: string | Buffer;
  /** CA revocation list (instead of `cacrl.pem`). */
  readonly crl?: string | Buffer;
}

/** How a credential given in memory is named in messages. */
const MEMORY = {
  ca: '<CA certificate given in memory>',
  cert: '<client certificate given in memory>',
  key: '<client key given in memory>',
  crl: '<CRL given in memory>',
} as const;

/** Options of {@link dialTls}. */
export interface TlsDialOptions extends DialOptions {
  /** Credentials given in memory, used instead of the files (see {@link TlsMaterial}). */
  readonly tls?: TlsMaterial;
  /** Environment for the default file locations (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Effective uid for the default file locations (default `process.geteuid()`). */
  readonly uid?: number;
  /**
   * Receives what libvirt would log as warnings: certificate checks that failed
   * but were ignored because of `no_verify=1`, and `tls_priority` items that
   * have no effect here.
   */
  readonly onWarning?: (message: string) => void;
}

type Pem = { path: string; text: string };

async function readPem(path: string, what: string): Promise<Pem> {
  try {
    return { path, text: await readFile(path, 'utf8') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'No such file or directory' : e.code === 'EACCES' ? 'Permission denied' : e.message;
    throw new TlsError('missing-file', `Cannot read ${what} '${path}': ${why}`, { errno: e.code ?? null, file: path, cause: err });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

function parseCerts(pem: Pem, what: string): X509Certificate[] {
  const blocks = splitPem(pem.text);
  if (blocks.length === 0) {
    throw new TlsError('bad-file', `Unable to import ${what} '${pem.path}': no PEM certificate in it`, { file: pem.path });
  }
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new TlsError('bad-file', `Unable to import ${what} '${pem.path}': ${(err as Error).message}`, { file: pem.path, cause: err });
    }
  });
}

/** The validity problem of `cert` at `now`, in libvirt's words, or null. */
function timeProblem(cert: X509Certificate, now: number): 'has expired' | 'is not yet active' | null {
  if (Date.parse(cert.validTo) < now) return 'has expired';
  if (Date.parse(cert.validFrom) > now) return 'is not yet active';
  return null;
}

/** libvirt's sanity checks of the client's own CA and certificate (virNetTLSContextSanityCheckCredentials). */
function sanityCheck(cas: X509Certificate[], caPath: string, cert: X509Certificate | null, certPath: string): void {
  const now = Date.now();
  if (cert !== null) {
    const t = timeProblem(cert, now);
    if (t !== null) {
      throw new TlsError('local-certificate', `The client certificate ${certPath} ${t} (valid ${cert.validFrom} to ${cert.validTo})`, {
        file: certPath, errno: t === 'has expired' ? 'CERT_HAS_EXPIRED' : 'CERT_NOT_YET_VALID',
      });
    }
    if (cert.ca) {
      throw new TlsError('local-certificate', `The certificate ${certPath} basic constraints show a CA, but we need one for a client`, { file: certPath });
    }
  }
  for (const ca of cas) {
    const t = timeProblem(ca, now);
    if (t !== null) {
      throw new TlsError('local-certificate', `The CA certificate ${caPath} ${t} (valid ${ca.validFrom} to ${ca.validTo})`, {
        file: caPath, errno: t === 'has expired' ? 'CERT_HAS_EXPIRED' : 'CERT_NOT_YET_VALID',
      });
    }
    if (!ca.ca) {
      throw new TlsError('local-certificate', `The certificate ${caPath} basic constraints do not show a CA`, { file: caPath });
    }
  }
  if (cert !== null && !cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
    throw new TlsError(
      'local-certificate',
      `Our own certificate ${certPath} failed validation against ${caPath}: The certificate hasn't got a known issuer.`,
      { file: certPath, errno: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    );
  }
}

/** Loaded and checked client credentials, ready for handshakes. */
export interface TlsClientCredentials {
  /** The files used (or `<... given in memory>` for credentials given in memory). */
  readonly paths: TlsCredentialPaths;
  /** Whether a client certificate is presented. */
  readonly hasClientCert: boolean;
  /** Whether the CRL file was loaded. */
  readonly hasCrl: boolean;
  /** The secure context for `tls.connect`. */
  readonly context: SecureContext;
}

/**
 * Reads and checks the client's TLS files for `plan` (see the module comment).
 *
 * @throws TlsError naming the file: a missing or unreadable CA certificate,
 *   a certificate without its key or a key without its certificate, a file
 *   that is not PEM, a key that does not match the certificate, or (unless
 *   `no_sanity`) a local certificate or CA that fails libvirt's sanity checks.
 */
export async function loadTlsCredentials(plan: RemotePlan, options: TlsDialOptions = {}): Promise<TlsClientCredentials> {
  const tls = plan.tls;
  if (tls === null) throw new TypeError(`loadTlsCredentials: the plan is for the ${plan.transport} transport`);
  const mem = options.tls ?? {};
  const memText = (v: string | Buffer): string => (typeof v === 'string' ? v : v.toString('utf8'));
  if ((mem.cert === undefined) !== (mem.key === undefined)) {
    const missing = mem.cert === undefined ? 'certificate (tls.cert)' : 'key (tls.key)';
    throw new TlsError('missing-file', `a client ${mem.cert === undefined ? 'key' : 'certificate'} was given in memory without its ${missing}`);
  }
  const filePaths = locateTlsCredentials(tls.pkiPath, { env: options.env, uid: options.uid });
  const paths: TlsCredentialPaths = {
    caCert: mem.ca !== undefined ? MEMORY.ca : filePaths.caCert,
    caCrl: mem.crl !== undefined ? MEMORY.crl : filePaths.caCrl,
    clientCert: mem.cert !== undefined ? MEMORY.cert : filePaths.clientCert,
    clientKey: mem.key !== undefined ? MEMORY.key : filePaths.clientKey,
  };
  const mapping = tlsPriorityToNode(tls.priority);
  if (mapping.ignored.length > 0) {
    options.onWarning?.(`tls_priority items with no effect over Node's TLS: ${mapping.ignored.join(':')}`);
  }

  const ca = mem.ca !== undefined ? { path: paths.caCert, text: memText(mem.ca) } : await readPem(paths.caCert, 'CA certificate');
  const cas = parseCerts(ca, 'CA certificate');
  const crl =
    mem.crl !== undefined
      ? { path: paths.caCrl, text: memText(mem.crl) }
      : (await exists(paths.caCrl))
        ? await readPem(paths.caCrl, 'CA revocation list')
        : null;
  const inMemory = mem.cert !== undefined && mem.key !== undefined;
  const [certThere, keyThere] = inMemory ? [true, true] : await Promise.all([exists(paths.clientCert), exists(paths.clientKey)]);
  if (certThere !== keyThere) {
    const [missing, present] = certThere ? [paths.clientKey, paths.clientCert] : [paths.clientCert, paths.clientKey];
    const what = certThere ? 'Key' : 'Certificate';
    throw new TlsError('missing-file', `${what} '${missing}' does not exist, but ${certThere ? 'certificate' : 'key'} '${present}' does`, {
      errno: 'ENOENT', file: missing,
    });
  }
  let certPem: Pem | null = null;
  let keyPem: Pem | null = null;
  let cert: X509Certificate | null = null;
  if (certThere) {
    certPem = inMemory ? { path: paths.clientCert, text: memText(mem.cert!) } : await readPem(paths.clientCert, 'client certificate');
    keyPem = inMemory ? { path: paths.clientKey, text: memText(mem.key!) } : await readPem(paths.clientKey, 'client key');
    cert = parseCerts(certPem, 'client certificate')[0]!;
    let key: KeyObject;
    try {
      key = createPrivateKey(keyPem.text);
    } catch (err) {
      throw new TlsError('bad-file', `Unable to import client key '${paths.clientKey}': ${(err as Error).message}`, { file: paths.clientKey, cause: err });
    }
    if (!cert.checkPrivateKey(key)) {
      throw new TlsError('bad-file', `Unable to set x509 key and certificate: ${paths.clientKey}, ${paths.clientCert}: the key does not belong to the certificate`, {
        file: paths.clientKey,
      });
    }
  }
  if (tls.sanityCheck) sanityCheck(cas, paths.caCert, cert, paths.clientCert);

  let context: SecureContext;
  try {
    context = createSecureContext({
      ca: ca.text,
      ...(crl !== null ? { crl: crl.text } : {}),
      ...(certPem !== null && keyPem !== null ? { cert: certPem.text, key: keyPem.text } : {}),
      minVersion: mapping.minVersion,
      maxVersion: mapping.maxVersion,
    });
  } catch (err) {
    const file = crl !== null && /crl/i.test((err as Error).message) ? paths.caCrl : paths.caCert;
    throw new TlsError('bad-file', `Unable to set up TLS credentials (${file}): ${(err as Error).message}`, { file, cause: err });
  }
  return { paths, hasClientCert: certThere, hasCrl: crl !== null, context };
}
