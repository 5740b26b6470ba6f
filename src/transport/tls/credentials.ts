/**
 * The TLS client's credentials, as libvirt's TLS client reads them
 * (src/rpc/virnettlscontext.c, virnettlsconfig.c; read for the facts): the
 * files located by ./paths.ts (or PEM given in memory instead), checked by
 * ./pem.ts, with `tls_priority` mapped by ./priority.ts, made into one
 * secure context. The details are in ./dial.ts's module comment.
 */
import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { RemotePlan } from '../remote-plan.js';
import type { DialOptions } from '../unix.js';
import { TlsError } from './errors.js';
import { locateTlsCredentials, type TlsCredentialPaths } from './paths.js';
import { exists, parseCerts, readPem, sanityCheck, type Pem } from './pem.js';
import { tlsPriorityToNode } from './priority.js';

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
      errno: 'ENOENT',
      file: missing,
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
      throw new TlsError(
        'bad-file',
        `Unable to set x509 key and certificate: ${paths.clientKey}, ${paths.clientCert}: the key does not belong to the certificate`,
        {
          file: paths.clientKey,
        },
      );
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
