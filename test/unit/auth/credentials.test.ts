/**
 * auth.conf (format, lookup, where it is found) and the order in which credentials are collected,
 * as libvirt's virauth.c, virauthconfig.c and remoteAuthInteract do it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthConfig, authConfigPath, collectCredentials, credentialTypes, DEFAULT_CREDTYPES, type CredentialRequest } from '../../../src/auth/credentials.js';
import { AuthenticationError } from '../../../src/auth/errors.js';
import { ConfigError, VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_REALM, VIR_CRED_USERNAME } from '../../../src/index.js';

const SAMPLE = `# libvirt's documented example (docs/auth.rst), plus escapes
[credentials-test]
authname=fred
password=123456

[credentials-prod]
authname = bar
password=  let\\sme\\\\in\\t!
username=barney

[auth-libvirt-test1.example.com]
credentials=test

[auth-libvirt-test2.example.com]
credentials=prod

[auth-libvirt-default]
credentials=test
`;

describe('AuthConfig', () => {
  const conf = AuthConfig.parse(SAMPLE, 'auth.conf');

  it('looks up [auth-libvirt-HOST], then [auth-libvirt-default], through [credentials-NAME]', () => {
    expect(conf.lookup('libvirt', 'test1.example.com', 'authname')).toBe('fred');
    expect(conf.lookup('libvirt', 'test2.example.com', 'authname')).toBe('bar');
    expect(conf.lookup('libvirt', 'test2.example.com', 'username')).toBe('barney');
    expect(conf.lookup('libvirt', 'elsewhere', 'password')).toBe('123456');
    expect(conf.lookup('libvirt', null, 'authname')).toBe('fred');
    expect(conf.lookup('libvirt', 'test1.example.com', 'realm')).toBeNull();
    expect(conf.lookup('esx', 'test1.example.com', 'authname')).toBeNull();
  });

  it('trims spaces around = and unescapes \\s \\\\ \\t as GLib does', () => {
    expect(conf.lookup('libvirt', 'test2.example.com', 'password')).toBe('let me\\in\t!');
  });

  it('treats "localhost" as the host of a URI without one', () => {
    const c = AuthConfig.parse('[credentials-a]\nauthname=loc\n[auth-libvirt-localhost]\ncredentials=a\n');
    expect(c.lookup('libvirt', null, 'authname')).toBe('loc');
    expect(c.lookup('libvirt', 'other', 'authname')).toBeNull();
  });

  it('reports a group without credentials= and a missing credentials group, as VIR_ERR_CONF_SYNTAX does', () => {
    const noItem = AuthConfig.parse('[auth-libvirt-default]\nfoo=bar\n', 'a.conf');
    expect(() => noItem.lookup('libvirt', 'h', 'authname')).toThrow(
      new ConfigError("Missing item 'credentials' in group 'auth-libvirt-default' in 'a.conf'", { file: 'a.conf' }),
    );
    const noGroup = AuthConfig.parse('[auth-libvirt-default]\ncredentials=nope\n', 'a.conf');
    expect(() => noGroup.lookup('libvirt', 'h', 'authname')).toThrow(/Missing group 'credentials-nope' referenced from group 'auth-libvirt-default'/);
  });

  it('rejects malformed lines with the line number', () => {
    expect(() => AuthConfig.parse('[ok]\njust words\n', 'x.conf')).toThrow(ConfigError);
    expect(() => AuthConfig.parse('[ok]\njust words\n', 'x.conf')).toThrow(/x\.conf:2/);
    expect(() => AuthConfig.parse('key=value\n', 'x.conf')).toThrow(/not in a group/);
    expect(() => AuthConfig.parse('[unclosed\n', 'x.conf')).toThrow(/invalid group/);
    expect(() => AuthConfig.parse('[g]\n=v\n', 'x.conf')).toThrow(/invalid key/);
    const badEscape = AuthConfig.parse('[credentials-a]\npassword=a\\qb\n[auth-libvirt-default]\ncredentials=a\n');
    expect(() => badEscape.lookup('libvirt', null, 'password')).toThrow(/invalid escape/);
  });

  it('ignores comments, blank lines and indentation; merges a repeated group, the last key wins', () => {
    const c = AuthConfig.parse('  # c\n\n[credentials-a]\n  authname=one\n[auth-libvirt-default]\ncredentials=a\n[credentials-a]\nauthname=two\n');
    expect(c.lookup('libvirt', 'h', 'authname')).toBe('two');
  });

  it('load() reads a file and fails with ConfigError when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvrpc-authconf-'));
    try {
      const f = join(dir, 'auth.conf');
      writeFileSync(f, SAMPLE);
      expect(AuthConfig.load(f).lookup('libvirt', 'x', 'authname')).toBe('fred');
      expect(() => AuthConfig.load(join(dir, 'missing.conf'))).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('authConfigPath (virAuthGetConfigFilePathURI)', () => {
  const readable = (set: string[]) => (p: string) => set.includes(p);
  it('LIBVIRT_AUTH_FILE first, even when the file does not exist', () => {
    expect(authConfigPath({ env: { LIBVIRT_AUTH_FILE: '/x/a.conf' }, uriAuthFile: '/u.conf', readable: readable([]) })).toBe('/x/a.conf');
  });
  it("then the URI's authfile=", () => {
    expect(authConfigPath({ env: {}, uriAuthFile: '/u.conf', readable: readable([]) })).toBe('/u.conf');
  });
  it('then $XDG_CONFIG_HOME/libvirt/auth.conf or ~/.config/libvirt/auth.conf when readable', () => {
    expect(authConfigPath({ env: { XDG_CONFIG_HOME: '/cfg' }, readable: readable(['/cfg/libvirt/auth.conf']) })).toBe('/cfg/libvirt/auth.conf');
    expect(authConfigPath({ env: { HOME: '/home/u' }, readable: readable(['/home/u/.config/libvirt/auth.conf']) })).toBe('/home/u/.config/libvirt/auth.conf');
  });
  it('then /etc/libvirt/auth.conf when readable, else none', () => {
    expect(authConfigPath({ env: { HOME: '/h' }, readable: readable(['/etc/libvirt/auth.conf']) })).toBe('/etc/libvirt/auth.conf');
    expect(authConfigPath({ env: { HOME: '/h' }, sysconfDir: '/opt/etc', readable: readable(['/opt/etc/libvirt/auth.conf']) })).toBe(
      '/opt/etc/libvirt/auth.conf',
    );
    expect(authConfigPath({ env: { HOME: '/h' }, readable: readable([]) })).toBeNull();
  });
});

describe('collectCredentials', () => {
  const req = (type: number): CredentialRequest => ({ type, prompt: `prompt ${type}`, challenge: null, defresult: null });
  const requests = [req(VIR_CRED_AUTHNAME), req(VIR_CRED_PASSPHRASE)];
  const conf = AuthConfig.parse('[credentials-a]\nauthname=fromfile\npassword=filepw\n[auth-libvirt-default]\ncredentials=a\n');
  const halfConf = AuthConfig.parse('[credentials-a]\nauthname=fromfile\n[auth-libvirt-default]\ncredentials=a\n');
  const base = { hostname: null, mechanism: 'SCRAM-SHA-256' };

  it('fixed credentials answer first (auth.conf not even read)', async () => {
    let read = false;
    const got = await collectCredentials(requests, {
      ...base,
      credentials: { username: 'u', password: 'p' },
      authConfig: () => {
        read = true;
        return conf;
      },
    });
    expect(got).toEqual(['u', 'p']);
    expect(read).toBe(false);
  });

  it('auth.conf answers before the callback, which is asked only for what is missing, once', async () => {
    const asked: CredentialRequest[][] = [];
    const got = await collectCredentials(requests, {
      ...base,
      credentials: (r) => {
        asked.push([...r]);
        return r.map(() => 'cb');
      },
      authConfig: () => halfConf,
    });
    expect(got).toEqual(['fromfile', 'cb']);
    expect(asked).toEqual([[req(VIR_CRED_PASSPHRASE)]]);
    expect(await collectCredentials(requests, { ...base, credentials: () => [], authConfig: () => conf })).toEqual(['fromfile', 'filepw']);
  });

  it('takes an async callback in the virConnectAuth form', async () => {
    const got = await collectCredentials(requests, {
      ...base,
      credentials: { credtypes: [VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE], callback: async (r) => r.map((x) => String(x.type)) },
      authConfig: () => null,
    });
    expect(got).toEqual([String(VIR_CRED_AUTHNAME), String(VIR_CRED_PASSPHRASE)]);
  });

  it('fails with VIR_ERR_AUTH_FAILED when nothing can answer, the callback leaves a gap, throws or returns junk', async () => {
    const none = collectCredentials(requests, { ...base, authConfig: () => null });
    await expect(none).rejects.toBeInstanceOf(AuthenticationError);
    await expect(none).rejects.toThrow(/No authentication callback available.*VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE/);
    await expect(collectCredentials(requests, { ...base, credentials: () => ['u', null], authConfig: () => null })).rejects.toThrow(
      /no answer for VIR_CRED_PASSPHRASE/,
    );
    const boom = new Error('user pressed ^C');
    const thrown = await collectCredentials(requests, {
      ...base,
      credentials: () => {
        throw boom;
      },
      authConfig: () => null,
    }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expect((thrown as AuthenticationError).code).toBe('VIR_ERR_AUTH_FAILED');
    expect((thrown as AuthenticationError).reason).toBe('credentials');
    expect((thrown as Error).cause).toBe(boom);
    await expect(collectCredentials(requests, { ...base, credentials: (() => 'x') as unknown as () => string[], authConfig: () => null })).rejects.toThrow(
      /did not return an array/,
    );
  });

  it('passes a broken auth.conf through as ConfigError', async () => {
    const broken = AuthConfig.parse('[auth-libvirt-default]\nx=1\n');
    await expect(collectCredentials(requests, { ...base, authConfig: () => broken })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('credentialTypes', () => {
  it("is virConnectAuthPtrDefault's list for a bare callback, the declared list otherwise", () => {
    expect(credentialTypes(() => [])).toBe(DEFAULT_CREDTYPES);
    expect(DEFAULT_CREDTYPES).not.toContain(VIR_CRED_USERNAME);
    expect(credentialTypes({ credtypes: [VIR_CRED_REALM], callback: () => [] })).toEqual([VIR_CRED_REALM]);
    expect(credentialTypes({ username: 'u', password: 'p' })).toEqual([VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE]);
    expect(credentialTypes({ username: 'u', password: 'p', authzid: 'z' })).toContain(VIR_CRED_USERNAME);
    expect(credentialTypes(undefined)).toEqual([]);
  });
});
