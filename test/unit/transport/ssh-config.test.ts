/**
 * ~/.ssh/config resolution for the in-process +ssh client, with OpenSSH's `ssh -G` (which prints
 * the configuration ssh would use for a host) as the oracle.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProxyJump, resolveSshConfig, splitConfigLine, type SshCommandLine } from '../../../src/transport/ssh/ssh-config.js';

let dir: string;
let config: string;

const CONFIG = `
# comment
Host alias
  HostName 127.0.0.5
  User alice
  Port 2200
  IdentityFile /keys/alias
  ProxyJump bob@jump:2022
Host *.example.com !secret.example.com
  User web
  IdentityFile "/keys/with space"
Host secret.example.com
  User=spy
  Port = 2201
Match host 10.*
  Port 2299
  User ten
Match originalhost other !user root
  User notroot
Host jumpy
  HostName 127.0.0.9
  ProxyJump a@h1:1,h2
Host *
  IdentityFile /keys/default
  StrictHostKeyChecking accept-new
  HashKnownHosts yes
  User fallback
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-sshcfg-'));
  config = path.join(dir, 'config');
  fs.writeFileSync(config, CONFIG);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `ssh -G -F config [-l user] [-p port] host`, as key → values. */
function sshG(host: string, cmd: Partial<SshCommandLine> = {}): Map<string, string[]> {
  const args = ['-G', '-F', config];
  if (cmd.user) args.push('-l', cmd.user);
  if (cmd.port) args.push('-p', String(cmd.port));
  args.push(host);
  const out = execFileSync('ssh', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const map = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const k = line.slice(0, sp);
    map.set(k, [...(map.get(k) ?? []), line.slice(sp + 1)]);
  }
  return map;
}

describe('resolveSshConfig agrees with ssh -G', () => {
  const hosts = ['alias', 'www.example.com', 'secret.example.com', '10.1.1.1', 'other', 'jumpy', 'Alias'];
  it.each(hosts)('%s', (host) => {
    const ours = resolveSshConfig(host, { homeDir: dir, localUser: 'root', userConfig: config, systemConfig: null });
    const theirs = sshG(host);
    expect(ours.hostName).toBe(theirs.get('hostname')![0]);
    expect(ours.user ?? 'root').toBe(theirs.get('user')![0]);
    expect(String(ours.port ?? 22)).toBe(theirs.get('port')![0]);
    expect(ours.identityFiles).toEqual(theirs.get('identityfile'));
    expect(ours.proxyJump ?? undefined).toBe(theirs.get('proxyjump')?.[0]);
    expect(ours.strictHostKeyChecking === 'accept-new' ? 'accept-new' : ours.strictHostKeyChecking).toBe(theirs.get('stricthostkeychecking')![0]);
    expect(ours.hashKnownHosts === true ? 'yes' : 'no').toBe(theirs.get('hashknownhosts')![0]);
  });

  it("the command line (the URI's user and port) wins", () => {
    const cmd = { user: 'x', port: 1, identityFile: null };
    const ours = resolveSshConfig('alias', { homeDir: dir, localUser: 'root', userConfig: config, systemConfig: null }, cmd);
    const theirs = sshG('alias', cmd);
    expect([ours.user, String(ours.port), ours.hostName]).toEqual([theirs.get('user')![0], theirs.get('port')![0], theirs.get('hostname')![0]]);
  });
});

describe('resolveSshConfig details', () => {
  const read = (files: Record<string, string>) => (p: string) => files[p] ?? null;

  it('expands ~ and %h %r %p %u %d %n %% in IdentityFile, after HostName', () => {
    const cfg = resolveSshConfig('alias', {
      homeDir: '/home/me',
      localUser: 'me',
      userConfig: '/c',
      systemConfig: null,
      readFile: read({ '/c': 'Host alias\n HostName real.host\n User bob\n Port 2\n IdentityFile ~/.ssh/%h_%r_%p_%u_%n_%%\n IdentityFile %d/k\n' }),
    });
    expect(cfg.identityFiles).toEqual(['/home/me/.ssh/real.host_bob_2_me_alias_%', '/home/me/k']);
  });

  it('HostName %h is the host given; the -i key file comes first', () => {
    const cfg = resolveSshConfig(
      'web',
      { homeDir: '/h', userConfig: '/c', systemConfig: null, readFile: read({ '/c': 'Host *\n HostName %h.example.com\n IdentityFile /k2\n' }) },
      { user: null, port: null, identityFile: '/k1' },
    );
    expect(cfg.hostName).toBe('web.example.com');
    expect(cfg.identityFiles).toEqual(['/k1', '/k2']);
  });

  it('Include (relative to ~/.ssh, with a glob), then the system file; first value wins', () => {
    const cfg = resolveSshConfig('h', {
      homeDir: '/home/me',
      userConfig: '/home/me/.ssh/config',
      systemConfig: '/etc/ssh/ssh_config',
      readFile: read({
        '/home/me/.ssh/config': 'Include conf.d/*.conf\nHost h\n User fromuser\n',
        '/home/me/.ssh/conf.d/a.conf': 'Host h\n Port 2000\n',
        '/home/me/.ssh/conf.d/b.conf': 'Host h\n Port 3000\n HostName inc\n',
        '/etc/ssh/ssh_config': 'Host *\n User fromsystem\n HashKnownHosts yes\n',
      }),
      listDir: (d) => (d === '/home/me/.ssh/conf.d' ? ['b.conf', 'a.conf', 'other'] : []),
    });
    expect([cfg.port, cfg.hostName, cfg.user, cfg.hashKnownHosts]).toEqual([2000, 'inc', 'fromuser', true]);
  });

  it('unsupported Match criteria skip the block and say so', () => {
    const cfg = resolveSshConfig('h', { homeDir: '/h', userConfig: '/c', systemConfig: null, readFile: read({ '/c': 'Match exec "true"\n User x\n' }) });
    expect(cfg.user).toBeNull();
    expect(cfg.notes[0]).toMatch(/Match exec true.*not supported/);
  });

  it('ProxyCommand and known hosts files are reported', () => {
    const cfg = resolveSshConfig('h', {
      homeDir: '/h',
      userConfig: '/c',
      systemConfig: null,
      readFile: read({ '/c': 'ProxyCommand nc %h %p\nUserKnownHostsFile ~/kh1 /kh2\n' }),
    });
    expect(cfg.proxyCommand).toBe('nc %h %p');
    expect(cfg.userKnownHostsFiles).toEqual(['/h/kh1', '/kh2']);
  });

  it('splitConfigLine: quotes, = and comments', () => {
    expect(splitConfigLine('  IdentityFile "/a b"  # c')).toEqual(['IdentityFile', '/a b']);
    expect(splitConfigLine('# all comment')).toEqual([]);
  });
});

describe('parseProxyJump', () => {
  it('parses hops as OpenSSH writes them', () => {
    expect(parseProxyJump('a@h1:2022,h2,ssh://b@[::1]:23,none')).toEqual([
      { user: 'a', host: 'h1', port: 2022 },
      { user: null, host: 'h2', port: null },
      { user: 'b', host: '::1', port: 23 },
      { user: null, host: 'none', port: null },
    ]);
    expect(parseProxyJump('none')).toEqual([]);
    expect(() => parseProxyJump('h:99999')).toThrow(/bad ProxyJump host/);
    expect(() => parseProxyJump('@h')).toThrow(/bad ProxyJump host/);
  });
});
