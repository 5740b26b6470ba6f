/**
 * Deciding whether to trust the host key an SSH server offers, for the
 * in-process client, with known_hosts read as OpenSSH reads it
 * (./known-hosts.ts) and the policy of the transport:
 *
 * - libvirt's `known_hosts_verify=` for `+libssh`/`+libssh2`
 *   (virnetsshsession.c / virnetlibsshsession.c, virNet*CheckHostKey):
 *   `normal` asks through the credentials callback (`VIR_CRED_ECHOPROMPT`,
 *   "Accept SSH host key with hash '...' for host 'h:p' (y/n)?", `y` accepts)
 *   and records the key; without a callback that can answer, the key is
 *   refused; `auto` records an unknown key without asking; `ignore` checks nothing;
 * - OpenSSH's `StrictHostKeyChecking` for in-process `+ssh`: `ask`
 *   (default) asks likewise ("... Are you sure you want to continue
 *   connecting (yes/no/[fingerprint])?", `yes` or the fingerprint accepts)
 *   unless in batch mode, `accept-new` records an unknown key, `yes`
 *   refuses it, `no` (`no_verify=1`) accepts and records it.
 *
 * In every mode but `ignore`, a changed key is refused, and so is a key
 * listed under `@revoked` (OpenSSH goes on with a changed key under
 * `StrictHostKeyChecking=no`; this client never does). Host certificates
 * are not supported: a host that only has a `@cert-authority` entry is
 * refused with a message saying so. Refusals name the key (type, SHA256
 * fingerprint) and the known_hosts line that would trust it.
 */
import { VIR_CRED_ECHOPROMPT } from '../../procedures/libvirt-api.gen.js';
import { collectCredentials, credentialTypes, type Credentials } from '../../auth/credentials.js';
import { endpointName, SshTransportError, type SshHostKeyInfo } from './errors.js';
import {
  appendKnownHostsLine,
  blobKeyType,
  certAuthorityLines,
  checkHostKey,
  fingerprintSha256,
  formatKnownHostLine,
  knownHostName,
  type KnownHostLine,
} from './known-hosts.js';

/** What the caller's own verifier is told. */
export interface HostKeyQuestion {
  /** The host connected to (a jump host, for a hop). */
  readonly host: string;
  readonly port: number;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ... */
  readonly keyType: string;
  /** The key's wire blob (what a known_hosts line holds, base64-encoded). */
  readonly key: Buffer;
  /** `SHA256:...` */
  readonly fingerprint: string;
  /** What the known hosts (files or text given) say about it: `known`, `unknown`, `changed`, `revoked`. */
  readonly knownHosts: 'known' | 'unknown' | 'changed' | 'revoked';
}

/** A caller's host key check: true trusts the key. It replaces the known_hosts decision (the known_hosts verdict is passed in). */
export type HostKeyVerifier = (question: HostKeyQuestion) => boolean | Promise<boolean>;

/** How unknown keys are treated: ask through the credentials callback, refuse, record them, or (`ignore`) check nothing at all. */
export type UnknownKeyPolicy = 'ask' | 'refuse' | 'record' | 'ignore';

/** Everything the decision depends on. */
export interface HostKeyPolicy {
  /** The known_hosts lines (all files, or the text given in memory). */
  readonly lines: readonly KnownHostLine[];
  /** Where an accepted key is recorded, or null (known hosts given in memory: nothing is written). */
  readonly recordFile: string | null;
  /** The files read, for messages. */
  readonly files: readonly string[];
  /** What happens to an unknown key; `ignore` skips every check (libvirt's `known_hosts_verify=ignore`). */
  readonly unknown: UnknownKeyPolicy;
  /** Write new lines hashed (OpenSSH's `HashKnownHosts`). */
  readonly hashNew: boolean;
  /** libvirt's question (`y`) or OpenSSH's (`yes` or the fingerprint). */
  readonly promptStyle: 'libvirt' | 'openssh';
  /** The credentials the question is asked through. */
  readonly credentials?: Credentials;
  /** The caller's verifier, which overrides the decision. */
  readonly verifier?: HostKeyVerifier;
  /** Told when a key was recorded. */
  readonly onWarning?: (message: string) => void;
}

function refuse(info: SshHostKeyInfo, message: string): SshTransportError {
  return new SshTransportError(message, { failure: 'host-key', endpoint: info.host, hostKey: info });
}

/**
 * Decides about `key`, offered by `host`:`port`: resolves when it is
 * trusted (recording it when the policy says so), rejects with an
 * {@link SshTransportError} (`failure: 'host-key'`, `hostKey` set) when not.
 */
export async function verifyHostKey(policy: HostKeyPolicy, host: string, port: number, key: Buffer): Promise<void> {
  if (policy.unknown === 'ignore' && policy.verifier === undefined) return;
  const where = endpointName(host, port);
  const keyType = blobKeyType(key) ?? 'unknown';
  const fingerprint = fingerprintSha256(key);
  const name = knownHostName(host, port);
  const line = formatKnownHostLine(name, key);
  const check = checkHostKey(policy.lines, host, port, key);
  const file = policy.recordFile ?? policy.files[0] ?? null;
  const base = { host: where, keyType, fingerprint, knownHostsLine: line, file };

  if (policy.verifier !== undefined) {
    let ok: boolean;
    try {
      ok = await policy.verifier({ host, port, keyType, key, fingerprint, knownHosts: check.status });
    } catch (err) {
      throw new SshTransportError(`the host key verifier failed for ${where}: ${(err as Error)?.message ?? String(err)}`, {
        failure: 'host-key',
        endpoint: where,
        cause: err,
        hostKey: { ...base, status: 'refused', entry: null },
      });
    }
    if (ok) return;
    throw refuse({ ...base, status: 'refused', entry: null }, `the host key verifier refused the ${keyType} key ${fingerprint} of ${where}`);
  }

  switch (check.status) {
    case 'known':
      return;
    case 'revoked': {
      const entry = `${check.line.file}:${check.line.line}`;
      throw refuse(
        { ...base, status: 'revoked', entry },
        `the ${keyType} host key ${fingerprint} of ${where} is marked as revoked (${entry}): it may be a stolen key used to impersonate the host`,
      );
    }
    case 'changed': {
      const entry = `${check.line.file}:${check.line.line}`;
      throw refuse(
        { ...base, status: 'changed', entry },
        `!!! SSH HOST KEY VERIFICATION FAILED !!!: the host key of ${where} has changed: the server offered the ${keyType} key ${fingerprint}, ` +
          `but ${entry} holds another ${check.line.keyType} key for it. Someone could be eavesdropping (a man-in-the-middle attack), or the ` +
          `host key was replaced; if you are sure, remove the old entry (ssh-keygen -R '${name}') and add: ${line}`,
      );
    }
    case 'unknown':
      break;
  }

  const cas = certAuthorityLines(policy.lines, host, port);
  switch (policy.unknown) {
    case 'record':
      await record(policy, name, key, where);
      return;
    case 'ask':
      if (await ask(policy, where, keyType, fingerprint, key)) {
        await record(policy, name, key, where);
        return;
      }
      break;
    default:
      break;
  }
  if (cas.length > 0) {
    const entry = `${cas[0]!.file}:${cas[0]!.line}`;
    throw refuse(
      { ...base, status: 'cert-authority', entry },
      `the ${keyType} host key ${fingerprint} of ${where} is not known; ${entry} trusts a certificate authority for it, ` +
        `but host certificates are not supported by the in-process SSH client: add the host's key instead: ${line}`,
    );
  }
  const inFile = file !== null ? ` to ${file}` : ' to the known hosts';
  const hint = policy.promptStyle === 'libvirt' ? ', or use known_hosts_verify=auto to record it on first use' : '';
  throw refuse(
    { ...base, status: 'unknown', entry: null },
    `the ${keyType} host key of ${where} is not known (fingerprint ${fingerprint}): if it is the right one, add this line${inFile}: ${line}${hint}`,
  );
}

async function record(policy: HostKeyPolicy, name: string, key: Buffer, where: string): Promise<void> {
  if (policy.recordFile === null) return;
  const line = formatKnownHostLine(name, key, { hash: policy.hashNew });
  try {
    await appendKnownHostsLine(policy.recordFile, line);
  } catch (err) {
    throw new SshTransportError(`failed to write known_host file '${policy.recordFile}': ${(err as Error).message}`, {
      failure: 'host-key',
      endpoint: where,
      cause: err,
    });
  }
  policy.onWarning?.(`Permanently added '${name}' (${blobKeyType(key)}) to the list of known hosts (${policy.recordFile}).`);
}

/** Asks through the credentials callback; false when it cannot ask or the answer is no. */
async function ask(policy: HostKeyPolicy, where: string, keyType: string, fingerprint: string, key: Buffer): Promise<boolean> {
  if (!credentialTypes(policy.credentials).includes(VIR_CRED_ECHOPROMPT)) return false;
  if (policy.credentials === undefined || (typeof policy.credentials !== 'function' && !('callback' in policy.credentials))) return false;
  const prompt =
    policy.promptStyle === 'libvirt'
      ? `Accept SSH host key with hash '${fingerprint}' for host '${where}' (y/n)?`
      : `The authenticity of host '${where}' can't be established.\n${keyType} key fingerprint is ${fingerprint}.\n` +
        'Are you sure you want to continue connecting (yes/no/[fingerprint])?';
  const [answer] = await collectCredentials([{ type: VIR_CRED_ECHOPROMPT, prompt, challenge: key.toString('base64'), defresult: null }], {
    credentials: policy.credentials,
    authConfig: () => null,
    hostname: where,
    mechanism: 'SSH',
    purpose: `the SSH host key check of ${where}`,
  }).catch(() => [null]);
  const a = (answer ?? '').trim();
  return policy.promptStyle === 'libvirt' ? a.toLowerCase() === 'y' : a.toLowerCase() === 'yes' || a === fingerprint;
}
