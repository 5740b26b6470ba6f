/**
 * The C-client oracle: Debian's python3-libvirt (run by `/usr/bin/python3`, never a pyenv Python
 * from PATH) and virsh, both with hard timeouts and errors that carry their stderr.
 *
 * @module
 */
import { expect } from 'vitest';
import { clientEnv, run, PYTHON, VIRSH } from '../../harness/daemon.js';
import { connect, type ConnectOptions } from '../../src/index.js';

/** Stable codes of {@link OracleError}. */
export type OracleErrorCode = 'ORACLE_FAILED' | 'ORACLE_TIMEOUT' | 'ORACLE_BAD_OUTPUT';

/** A C-client run that failed, timed out or printed no JSON. */
export class OracleError extends Error {
  /** What went wrong. */
  readonly code: OracleErrorCode;
  /** The program's exit code (null if killed or not started). */
  readonly exitCode: number | null;
  /** Its stdout. */
  readonly stdout: string;
  /** Its stderr (for python3-libvirt: the traceback with libvirt's error message). */
  readonly stderr: string;
  constructor(code: OracleErrorCode, message: string, detail: { exitCode: number | null; stdout: string; stderr: string }) {
    super(message);
    this.name = 'OracleError';
    this.code = code;
    this.exitCode = detail.exitCode;
    this.stdout = detail.stdout;
    this.stderr = detail.stderr;
  }
}

/** Options for {@link pyLibvirt}. */
export interface PyLibvirtOptions {
  /** Hard timeout in ms (default 30 000); the process is SIGKILLed after it. */
  timeoutMs?: number;
  /** Open with `libvirt.openReadOnly`. */
  readOnly?: boolean;
  /** Open with `libvirt.openAuth`, answering username/password (and passphrase) prompts. */
  credentials?: { username: string; password: string };
}

/** Options for {@link virsh}. */
export interface VirshOptions {
  /** Extra environment (e.g. a daemon's `env`, `LIBVIRT_AUTH_FILE`). */
  env?: Record<string, string>;
  /** Hard timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Text for virsh's stdin. */
  input?: string;
  /** Resolve with stdout even when virsh exits non-zero (default false: reject). */
  allowFailure?: boolean;
}

/** Removes the common leading indentation of a (template-literal) block. */
export function dedent(text: string): string {
  const lines = text.replace(/\t/g, '    ').split('\n');
  while (lines.length && lines[0]!.trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const min = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(min)).join('\n');
}

function pythonScript(body: string, opts: PyLibvirtOptions): string {
  const open = opts.credentials
    ? `def _cb(creds, _):
    for c in creds:
        if c[0] in (libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_USERNAME):
            c[4] = _CREDS["username"]
        elif c[0] in (libvirt.VIR_CRED_PASSPHRASE, libvirt.VIR_CRED_NOECHOPROMPT):
            c[4] = _CREDS["password"]
        else:
            return -1
    return 0
_CREDS = json.loads(sys.argv[2])
conn = libvirt.openAuth(URI, [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_USERNAME, libvirt.VIR_CRED_PASSPHRASE, libvirt.VIR_CRED_NOECHOPROMPT], _cb, None], ${opts.readOnly ? 'libvirt.VIR_CONNECT_RO' : '0'})`
    : `conn = libvirt.${opts.readOnly ? 'openReadOnly' : 'open'}(URI)`;
  const indented = dedent(body)
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
  return `import libvirt, json, sys
URI = sys.argv[1]
libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # errors still raise libvirtError
${open}
try:
${indented}
    pass
finally:
    try:
        conn.close()
    except libvirt.libvirtError:
        pass
if "result" in globals():
    print(json.dumps(result))
`;
}

function describe(r: { code: number | null; signal: string | null; timedOut: boolean; error?: Error }): string {
  if (r.timedOut) return 'timed out';
  if (r.error) return `could not run (${r.error.message})`;
  return r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
}

/**
 * Runs python3-libvirt against `uri` and returns the JSON the body produced. In the body, `conn`
 * is a connection open to `uri` (closed afterwards), `URI` is the URI, and `libvirt`, `json`,
 * `sys` are imported. The body either sets a variable `result` (printed as JSON after it) or
 * prints one JSON value itself (the whole stdout, or else its last line, is parsed).
 *
 * @throws OracleError with Python's stderr (traceback and libvirt's message) on failure.
 */
export async function pyLibvirt<T = unknown>(uri: string, pythonBody: string, env?: Record<string, string>, opts: PyLibvirtOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const args = ['-I', '-c', pythonScript(pythonBody, opts), uri];
  if (opts.credentials) args.push(JSON.stringify(opts.credentials));
  const r = await run(PYTHON, args, { env: clientEnv(env), timeoutMs });
  const detail = { exitCode: r.code, stdout: r.stdout, stderr: r.stderr };
  if (r.code !== 0) {
    throw new OracleError(
      r.timedOut ? 'ORACLE_TIMEOUT' : 'ORACLE_FAILED',
      `python3-libvirt against ${uri} ${describe(r)}${r.timedOut ? ` after ${timeoutMs} ms` : ''}:\n${r.stderr.trim()}`,
      detail,
    );
  }
  const out = r.stdout.trim();
  const candidates = [out, out.split('\n').pop() ?? ''];
  for (const c of candidates) {
    if (c === '') continue;
    try {
      return JSON.parse(c) as T;
    } catch {
      /* next */
    }
  }
  throw new OracleError(
    'ORACLE_BAD_OUTPUT',
    `python3-libvirt against ${uri} printed no JSON (set \`result\` or print json.dumps(...)); stdout:\n${out}\nstderr:\n${r.stderr.trim()}`,
    detail,
  );
}

/**
 * Runs `virsh -c uri ...args` and returns its stdout.
 *
 * @throws OracleError with virsh's stderr when it fails (unless `allowFailure`) or times out.
 */
export async function virsh(uri: string, args: string[], opts: VirshOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const r = await run(VIRSH, ['-c', uri, ...args], {
    env: clientEnv(opts.env),
    timeoutMs,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  if (r.timedOut || r.error || (r.code !== 0 && !opts.allowFailure)) {
    throw new OracleError(
      r.timedOut ? 'ORACLE_TIMEOUT' : 'ORACLE_FAILED',
      `virsh -c ${uri} ${args.join(' ')} ${describe(r)}${r.timedOut ? ` after ${timeoutMs} ms` : ''}:\n${r.stderr.trim()}`,
      { exitCode: r.code, stdout: r.stdout, stderr: r.stderr },
    );
  }
  return r.stdout;
}

/**
 * Connects to `uri` with libvirt-rpc and checks getLibVersion, getHostname and
 * listAllDomains against python3-libvirt over the same URI. Resolves with the
 * domain names both saw.
 */
export async function expectAgreesWithPython(uri: string, options: ConnectOptions = {}): Promise<string[]> {
  await using conn = await connect(uri, options);
  const [lib, host, list] = await Promise.all([conn.raw.connectGetLibVersion(), conn.raw.connectGetHostname(), conn.raw.connectListAllDomains(1, 0)]);
  const oracle = await pyLibvirt<{ lib: number; host: string; names: string[] }>(
    uri,
    'result = {"lib": conn.getLibVersion(), "host": conn.getHostname(), "names": sorted(d.name() for d in conn.listAllDomains())}',
  );
  expect(Number(lib)).toBe(oracle.lib);
  expect(host).toBe(oracle.host);
  expect(list.domains.map((d) => d.name).sort()).toEqual(oracle.names);
  return oracle.names;
}
