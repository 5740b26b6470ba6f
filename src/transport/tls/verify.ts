/**
 * libvirt's client-side checks of the server's certificate after the
 * handshake (virNetTLSContextValidCertificate, read for the facts): the
 * chain to our CA (OpenSSL's verdict, in libvirt's words), the host name,
 * not a CA. With `no_verify=1` the caller turns the failures into warnings.
 */
import type { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { TlsError, type TlsFailure } from './errors.js';

/** libvirt's words for an OpenSSL chain verification code. */
function chainReason(code: string): { reason: TlsFailure; text: string } {
  switch (code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return { reason: 'untrusted', text: "The certificate hasn't got a known issuer." };
    case 'CERT_REVOKED':
      return { reason: 'untrusted', text: 'The certificate has been revoked.' };
    case 'CERT_HAS_EXPIRED':
      return { reason: 'expired', text: 'The server certificate has expired.' };
    case 'CERT_NOT_YET_VALID':
      return { reason: 'expired', text: 'The server certificate is not yet active.' };
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_UNTRUSTED':
    case 'CERT_REJECTED':
      return { reason: 'untrusted', text: 'The certificate is not trusted.' };
    default:
      return { reason: 'untrusted', text: 'Invalid certificate.' };
  }
}

/** What the handshake told about the server, captured when it finished. */
export interface PeerSnapshot {
  readonly authorized: boolean;
  readonly authorizationError: (Error & { code?: string }) | string | null;
  readonly cert: PeerCertificate | null;
  readonly x509: X509Certificate | undefined;
}

/** Captures what the finished handshake says about the server. */
export function snapshotPeer(socket: TLSSocket): PeerSnapshot {
  const cert = socket.getPeerCertificate();
  return {
    authorized: socket.authorized,
    authorizationError: (socket.authorizationError as (Error & { code?: string }) | string | undefined) ?? null,
    cert: cert && Object.keys(cert).length > 0 ? cert : null,
    x509: socket.getPeerX509Certificate(),
  };
}

function describeNames(cert: PeerCertificate): string {
  const names = cert.subjectaltname ?? (cert.subject?.CN ? `CN=${String(cert.subject.CN)}` : '');
  return names ? ` (the certificate is for ${names})` : '';
}

/**
 * libvirt's client-side checks of the server's certificate
 * (virNetTLSContextValidCertificate), on a finished handshake. Returns the
 * failures (empty when the certificate is fine).
 */
export function checkServerCertificate(peer: PeerSnapshot, host: string, caPath: string): TlsError[] {
  const problems: TlsError[] = [];
  const authErr = peer.authorizationError;
  if (!peer.authorized && authErr) {
    const code = typeof authErr === 'string' ? authErr : (authErr.code ?? authErr.message);
    const { reason, text } = chainReason(code);
    problems.push(new TlsError(reason, `Certificate failed validation: ${text} (${code}; CA certificate ${caPath})`, { errno: code, file: caPath }));
  }
  if (peer.x509 === undefined || peer.cert === null) {
    problems.push(new TlsError('bad-server-certificate', 'The server sent no certificate'));
    return problems;
  }
  const identity = checkServerIdentity(host, peer.cert);
  if (identity !== undefined) {
    problems.push(
      new TlsError('hostname-mismatch', `Certificate [session] owner does not match the hostname ${host}${describeNames(peer.cert)}`, {
        errno: (identity as Error & { code?: string }).code ?? 'ERR_TLS_CERT_ALTNAME_INVALID',
        cause: identity,
      }),
    );
  }
  if (peer.x509.ca) {
    problems.push(new TlsError('bad-server-certificate', 'The certificate [session] basic constraints show a CA, but we need one for a server'));
  }
  return problems;
}
