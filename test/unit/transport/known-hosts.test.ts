/**
 * known_hosts reading and matching, with OpenSSH's own tools as the oracle: `ssh-keygen -H`
 * hashes a file, `ssh-keygen -F` finds a host in it, `ssh-keygen -lf` prints fingerprints.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobKeyType,
  checkHostKey,
  certAuthorityLines,
  fingerprintSha256,
  formatKnownHostLine,
  hashHostName,
  hostFieldMatches,
  knownHostName,
  knownKeyTypes,
  matchPattern,
  matchPatternList,
  parseKnownHosts,
} from '../../../src/transport/ssh/known-hosts.js';

let dir: string;
const keys: Record<string, { line: string; blob: Buffer }> = {};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-kh-'));
  for (const [name, type] of [
    ['a', 'ed25519'],
    ['b', 'ed25519'],
    ['r', 'rsa'],
    ['e', 'ecdsa'],
  ] as const) {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path.join(dir, name)]);
    const line = fs
      .readFileSync(path.join(dir, `${name}.pub`), 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ');
    keys[name] = { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') };
  }
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What `ssh-keygen -F name -f file` finds: the line numbers. */
function sshKeygenFind(text: string, name: string): number[] {
  const file = path.join(dir, `find-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, text);
  let out = '';
  try {
    out = execFileSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
  } catch {
    out = ''; // exit 1: not found
  }
  return [...out.matchAll(/^# Host .* found: line (\d+)/gm)].map((m) => Number(m[1]));
}

describe('parseKnownHosts', () => {
  it('reads markers, several hosts, comments; skips what does not parse', () => {
    const text = [
      '# a comment',
      '',
      `host1,host2 ${keys.a!.line} a comment`,
      `@revoked * ${keys.b!.line}`,
      `@cert-authority *.example.com ${keys.r!.line}`,
      `@bogus host ${keys.a!.line}`,
      'host3 ssh-ed25519 not-base64!',
      `host4 ssh-rsa ${keys.a!.line.split(' ')[1]}`, // type does not match the blob
      `  \thost5 ${keys.e!.line}`,
    ].join('\n');
    const lines = parseKnownHosts(text, 'f');
    expect(lines.map((l) => [l.line, l.marker, l.hosts, l.keyType])).toEqual([
      [3, null, 'host1,host2', 'ssh-ed25519'],
      [4, 'revoked', '*', 'ssh-ed25519'],
      [5, 'cert-authority', '*.example.com', 'ssh-rsa'],
      [9, null, 'host5', keys.e!.line.split(' ')[0]],
    ]);
    expect(lines[0]!.key.equals(keys.a!.blob)).toBe(true);
  });
});

describe('host matching, as ssh-keygen -F finds hosts', () => {
  const cases: [string, string][] = [
    ['host1', 'host1'],
    ['HOST1', 'host1'],
    ['*.example.com', 'www.example.com'],
    ['*.example.com', 'example.com'],
    ['h?st', 'host'],
    ['h?st', 'hoost'],
    ['*,!secret.example.com', 'secret.example.com'],
    ['*,!secret.example.com', 'public.example.com'],
    ['[127.0.0.1]:2222', '[127.0.0.1]:2222'],
    ['[127.0.0.1]:2222', '127.0.0.1'],
    ['[127.0.0.*]:*', '[127.0.0.1]:2222'],
    ['127.0.0.1', '[127.0.0.1]:2222'],
    ['a,b,c', 'b'],
    ['!a', 'a'],
    ['!a', 'b'],
  ];
  it.each(cases)('%s vs %s', (hosts, name) => {
    const text = `${hosts} ${keys.a!.line}\n`;
    const ours = hostFieldMatches(hosts, name);
    expect(ours).toBe(sshKeygenFind(text, name).length > 0);
  });

  it('hashed names written by ssh-keygen -H are found, and only for their host', () => {
    const file = path.join(dir, 'to-hash');
    fs.writeFileSync(file, `[127.0.0.1]:2222 ${keys.a!.line}\nexample.com ${keys.b!.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'pipe' });
    const lines = parseKnownHosts(fs.readFileSync(file, 'utf8'));
    expect(lines.every((l) => l.hosts.startsWith('|1|'))).toBe(true);
    expect(checkHostKey(lines, '127.0.0.1', 2222, keys.a!.blob).status).toBe('known');
    expect(checkHostKey(lines, 'EXAMPLE.com', 22, keys.b!.blob).status).toBe('known');
    expect(checkHostKey(lines, 'example.org', 22, keys.b!.blob).status).toBe('unknown');
  });

  it('our hashed names are found by ssh-keygen -F', () => {
    const text = `${hashHostName('[10.1.2.3]:2200')} ${keys.a!.line}\n`;
    expect(sshKeygenFind(text, '[10.1.2.3]:2200')).toEqual([1]);
    expect(sshKeygenFind(text, '10.1.2.3')).toEqual([]);
  });

  it('matchPattern and matchPatternList follow OpenSSH', () => {
    expect(matchPattern('abc', 'a*c')).toBe(true);
    expect(matchPattern('abc', 'a*b')).toBe(false);
    expect(matchPattern('', '*')).toBe(true);
    expect(matchPattern('aXbXc', '*b*c')).toBe(true);
    expect(matchPatternList('x', 'a,x')).toBe(1);
    expect(matchPatternList('x', 'a,!x,x')).toBe(-1);
    expect(matchPatternList('x', 'a')).toBe(0);
  });
});

describe('checkHostKey', () => {
  const line = (hosts: string, k: string, marker = ''): string => `${marker}${hosts} ${keys[k]!.line}`;
  const check = (text: string[], host: string, port: number, k: string) => checkHostKey(parseKnownHosts(text.join('\n')), host, port, keys[k]!.blob);

  it('known, unknown, changed, revoked', () => {
    expect(check([line('[h]:2222', 'a')], 'h', 2222, 'a').status).toBe('known');
    expect(check([], 'h', 2222, 'a').status).toBe('unknown');
    expect(check([line('[h]:2222', 'b')], 'h', 2222, 'a').status).toBe('changed');
    expect(check([line('[h]:2222', 'a'), line('*', 'a', '@revoked ')], 'h', 2222, 'a').status).toBe('revoked');
  });

  it('several keys per host: any listed key is known; another type alone counts as changed (OpenSSH)', () => {
    expect(check([line('h', 'r'), line('h', 'a')], 'h', 22, 'a').status).toBe('known');
    expect(check([line('h', 'e')], 'h', 22, 'a').status).toBe('changed');
  });

  it('a non-standard port falls back to the bare host name only for an exact match', () => {
    expect(check([line('h', 'a')], 'h', 2222, 'a').status).toBe('known');
    expect(check([line('h', 'b')], 'h', 2222, 'a').status).toBe('unknown');
    expect(check([line('[h]:2222', 'a')], 'h', 22, 'a').status).toBe('unknown');
  });

  it('@cert-authority lines do not make a plain key known, but are found for the message', () => {
    const lines = parseKnownHosts(line('*.example.com', 'r', '@cert-authority '));
    expect(checkHostKey(lines, 'www.example.com', 22, keys.a!.blob).status).toBe('unknown');
    expect(certAuthorityLines(lines, 'www.example.com', 22)).toHaveLength(1);
    expect(certAuthorityLines(lines, 'www.example.org', 22)).toHaveLength(0);
  });

  it('knownKeyTypes lists the types known for the host (with and without the port)', () => {
    const lines = parseKnownHosts([line('[h]:2222', 'r'), line('h', 'e'), line('other', 'a')].join('\n'));
    expect(knownKeyTypes(lines, 'h', 2222)).toEqual(['ssh-rsa', keys.e!.line.split(' ')[0]]);
  });
});

describe('formatting', () => {
  it('names: lower case, [host]:port unless 22', () => {
    expect(knownHostName('Host.Example', 22)).toBe('host.example');
    expect(knownHostName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('lines are what ssh-keygen reads back', () => {
    const plain = formatKnownHostLine('[127.0.0.1]:2200', keys.a!.blob);
    expect(plain).toBe(`[127.0.0.1]:2200 ${keys.a!.line}`);
    const hashed = formatKnownHostLine('[127.0.0.1]:2200', keys.a!.blob, { hash: true });
    expect(sshKeygenFind(`${hashed}\n`, '[127.0.0.1]:2200')).toEqual([1]);
  });

  it("fingerprints are ssh-keygen -l's", () => {
    for (const name of ['a', 'r', 'e']) {
      const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, `${name}.pub`)], { encoding: 'utf8' });
      expect(out.split(' ')[1]).toBe(fingerprintSha256(keys[name]!.blob));
    }
    expect(blobKeyType(keys.r!.blob)).toBe('ssh-rsa');
    expect(blobKeyType(Buffer.from('xx'))).toBeNull();
  });
});
