/**
 * Reading PEM files and libvirt's sanity checks of the client's own
 * certificates (virNetTLSContextSanityCheckCredentials, read for the facts).
 */
import { X509Certificate } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { TlsError } from './errors.js';

/** A PEM text and where it came from (a path, or `<... given in memory>`). */
export type Pem = { path: string; text: string };

/** Reads a PEM file; a missing or unreadable one is a TlsError naming it. */
export async function readPem(path: string, what: string): Promise<Pem> {
  try {
    return { path, text: await readFile(path, 'utf8') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'No such file or directory' : e.code === 'EACCES' ? 'Permission denied' : e.message;
    throw new TlsError('missing-file', `Cannot read ${what} '${path}': ${why}`, { errno: e.code ?? null, file: path, cause: err });
  }
}

/** Whether `path` exists (a file that exists but cannot be read counts: reading it reports why). */
export async function exists(path: string): Promise<boolean> {
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

/** Every certificate of a PEM text; none, or one that does not parse, is a TlsError naming the file. */
export function parseCerts(pem: Pem, what: string): X509Certificate[] {
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
export function sanityCheck(cas: X509Certificate[], caPath: string, cert: X509Certificate | null, certPath: string): void {
  const now = Date.now();
  if (cert !== null) {
    const t = timeProblem(cert, now);
    if (t !== null) {
      throw new TlsError('local-certificate', `The client certificate ${certPath} ${t} (valid ${cert.validFrom} to ${cert.validTo})`, {
        file: certPath,
        errno: t === 'has expired' ? 'CERT_HAS_EXPIRED' : 'CERT_NOT_YET_VALID',
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
        file: caPath,
        errno: t === 'has expired' ? 'CERT_HAS_EXPIRED' : 'CERT_NOT_YET_VALID',
      });
    }
    if (!ca.ca) {
      throw new TlsError('local-certificate', `The certificate ${caPath} basic constraints do not show a CA`, { file: caPath });
    }
  }
  if (cert !== null && !cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
    throw new TlsError('local-certificate', `Our own certificate ${certPath} failed validation against ${caPath}: The certificate hasn't got a known issuer.`, {
      file: certPath,
      errno: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    });
  }
}
