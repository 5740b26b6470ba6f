import { describe, expect, it } from 'vitest';
import {
  LIBVIRTD_TCP_PORT,
  LIBVIRTD_TLS_PORT,
  REMOTE_CONSUMED_PARAMS,
  parseUri,
  parseVirConf,
  planRemoteConnection,
  remoteUnixSocket,
  shellEscape,
  sshRemoteCommand,
  UriError,
  type RemotePlanEnv,
} from '../../../src/transport/index.js';

const USER_ENV = { XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/home/u' };

/** A non-root client on a machine where no socket exists. */
function env(extra: RemotePlanEnv = {}, files: string[] = []): RemotePlanEnv {
  return { uid: 1000, env: USER_ENV, exists: (p) => files.includes(p), ...extra };
}
const ROOT: RemotePlanEnv = { uid: 0, env: { HOME: '/root' }, exists: () => false };

function plan(uri: string, e: RemotePlanEnv = env()) {
  return planRemoteConnection(uri, e);
}

function uriError(fn: () => unknown): UriError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UriError);
    expect((err as UriError).code).toBe('URI_INVALID');
    return err as UriError;
  }
  throw new Error('expected a UriError');
}

const NC_SYSTEM = `if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U /var/run/libvirt/libvirt-sock`;

describe('transport and defaults', () => {
  it.each([
    ['qemu:///system', 'unix', 'localhost', null, true],
    ['qemu://example.com/system', 'tls', 'example.com', LIBVIRTD_TLS_PORT, true],
    ['qemu+unix:///system', 'unix', 'localhost', null, true],
    ['qemu+tcp://example.com/system', 'tcp', 'example.com', LIBVIRTD_TCP_PORT, false],
    ['qemu+tcp:///system', 'tcp', 'localhost', 16509, false],
    ['qemu+tls://example.com/system', 'tls', 'example.com', 16514, true],
    ['qemu+tls:///system', 'tls', 'localhost', 16514, true],
    ['qemu+ssh://example.com/system', 'ssh', 'example.com', 22, true],
    ['qemu+ssh:///system', 'ssh', 'localhost', 22, true],
    ['qemu+libssh://example.com/system', 'libssh', 'example.com', 22, true],
    ['qemu+libssh2://example.com/system', 'libssh2', 'example.com', 22, true],
    ['qemu+ext:///system?command=/bin/proxy', 'ext', 'localhost', null, false],
  ])('%s → %s %s:%s', (uri, transport, host, port, secure) => {
    const p = plan(uri);
    expect(p.transport).toBe(transport);
    expect(p.host).toBe(host);
    expect(p.port).toBe(port);
    expect(p.portExplicit).toBe(false);
    expect(p.secure).toBe(secure);
  });

  it('keeps a port given in the URI', () => {
    for (const [uri, port] of [
      ['qemu+tcp://h:1234/system', 1234],
      ['qemu+tls://h:1235/system', 1235],
      ['qemu+ssh://h:2222/system', 2222],
      ['qemu+libssh2://h:2223/system', 2223],
    ] as const) {
      expect(plan(uri)).toMatchObject({ port, portExplicit: true });
    }
  });

  it('accepts the transport in any case', () => {
    expect(plan('qemu+SSH://h/system').transport).toBe('ssh');
    expect(plan('qemu+Tls://h/system').transport).toBe('tls');
  });

  it('rejects an unknown transport, naming it', () => {
    const err = uriError(() => plan('qemu+http://h/system'));
    expect(err.part).toBe('transport');
    expect(err.message).toMatch(/^unknown transport "http" \(expected one of tls, unix, ssh, libssh2, ext, tcp, libssh\) in URI "qemu\+http:\/\/h\/system"$/);
  });

  it('rejects unix with a host', () => {
    const err = uriError(() => plan('qemu+unix://h/system'));
    expect(err.part).toBe('host');
    expect(err.message).toContain('"h"');
  });

  it('rejects qemu://system (missing slash), like virConnectOpen', () => {
    const err = uriError(() => plan('qemu://system'));
    expect(err.part).toBe('host');
    expect(err.message).toContain('maybe you want qemu:///system');
    expect(uriError(() => plan('vbox://session')).message).toContain('vbox:///session');
    expect(plan('qemu+ssh://system/system').host).toBe('system');
    expect(plan('lxc://system/').host).toBe('system');
  });

  it('reports malformed URIs from the parser', () => {
    expect(uriError(() => plan('qemu+tcp://h:99999/system')).part).toBe('port');
    expect(uriError(() => plan('://h/system')).part).toBe('scheme');
    expect(uriError(() => plan('qemu:///sys%zztem')).part).toBe('path');
  });

  it('takes an already parsed URI', () => {
    const p = planRemoteConnection(parseUri('qemu+tcp://h/system?foo=bar'), env());
    expect(p.connectName).toBe('qemu:///system?foo=bar');
    const err = uriError(() => planRemoteConnection(parseUri('qemu+tcp://h/system?mode=x'), env()));
    expect(err.uri).toBe('qemu+tcp://h/system?mode=x');
  });
});

describe('CONNECT_OPEN name', () => {
  it.each([
    ['qemu:///system', 'qemu:///system'],
    ['qemu:///session', 'qemu:///session'],
    ['qemu+unix:///session?socket=/x', 'qemu:///session'],
    ['test+unix:///abs/node.xml?socket=/s', 'test:///abs/node.xml'],
    ['qemu+ssh://root@host/system?keyfile=k&foo=bar', 'qemu:///system?foo=bar'],
    ['qemu+tls://h:9999/system?pkipath=/p&no_verify=1', 'qemu:///system'],
    ['qemu+ssh://host', 'qemu://'],
    ['lxc:///', 'lxc:///'],
    ['test:///default', 'test:///default'],
    ['qemu+tcp://h/system?A=1&mode=legacy&b=x%20y#frag', 'qemu:///system?A=1&b=x%20y#frag'],
    ['qemu:///system?authfile=/a&x=1', 'qemu:///system?x=1'],
    ['qemu:///system?SOCKET=/x&Mode=legacy', 'qemu:///system'],
    ['xen+ssh://h/', 'xen:///'],
  ])('%s → %s', (uri, name) => {
    const p = plan(uri);
    expect(p.connectName).toBe(name);
    expect(p.askUriAfterOpen).toBe(false);
  });

  it('sends the empty name for the remote driver, and asks for the URI afterwards', () => {
    for (const uri of ['remote:///', 'remote+ssh://h/', 'remote+tcp://h/?foo=bar', 'remote://h/']) {
      const p = plan(uri);
      expect(p.connectName).toBe('');
      expect(p.askUriAfterOpen).toBe(true);
    }
  });

  it('uses name= as is', () => {
    expect(plan('qemu+ssh://h/system?name=qemu:///session').connectName).toBe('qemu:///session');
    expect(plan('remote+tcp://h/?name=lxc:///').connectName).toBe('lxc:///');
    const empty = plan('qemu+tcp://h/system?name=');
    expect(empty.connectName).toBe('');
    expect(empty.askUriAfterOpen).toBe(true);
  });

  it('keeps unconsumed parameters in order, duplicates included', () => {
    const p = plan('qemu+tcp://h/system?a=1&keyfile=k&a=2&b=');
    expect(p.passthroughParams).toEqual([
      { name: 'a', value: '1' },
      { name: 'a', value: '2' },
      { name: 'b', value: '' },
    ]);
    expect(p.connectName).toBe('qemu:///system?a=1&a=2&b=');
  });

  it('plans the connection without URI (the daemon picks the driver)', () => {
    const p = planRemoteConnection(null, env({}, ['/run/user/1000/libvirt/libvirt-sock']));
    expect(p).toMatchObject({
      uri: null,
      driver: null,
      transport: 'unix',
      connectName: '',
      askUriAfterOpen: true,
      session: true,
      autostart: true,
      socketPath: '/run/user/1000/libvirt/libvirt-sock',
      daemonName: 'libvirtd',
    });
    expect(planRemoteConnection(null, ROOT)).toMatchObject({ session: false, autostart: false, socketPath: '/var/run/libvirt/libvirt-sock' });
  });
});

describe('consumed parameters', () => {
  it('lists what the remote driver consumes', () => {
    expect([...REMOTE_CONSUMED_PARAMS].sort()).toEqual(
      [
        'auth',
        'authfile',
        'command',
        'keyfile',
        'known_hosts',
        'known_hosts_verify',
        'mode',
        'name',
        'netcat',
        'no_sanity',
        'no_tty',
        'no_verify',
        'pkipath',
        'proxy',
        'sshauth',
        'socket',
        'tls_priority',
      ].sort(),
    );
  });

  it('reads each one (names in any case; the last one wins)', () => {
    const p = plan(
      'qemu+ssh://h/system?NAME=n&Command=/usr/bin/myssh&socket=/s1&socket=/s2&auth=sasl.gssapi&sshauth=agent' +
        '&netcat=/bin/nc&keyfile=/k&pkipath=/pki&tls_priority=NORMAL&known_hosts=/kh&known_hosts_verify=ignore' +
        '&mode=legacy&proxy=netcat&authfile=/af&no_verify=1&no_tty=1&no_sanity=1&keep=me',
    );
    expect(p.options).toEqual({
      name: 'n',
      command: '/usr/bin/myssh',
      socket: '/s2',
      auth: 'sasl.gssapi',
      sshauth: 'agent',
      netcat: '/bin/nc',
      keyfile: '/k',
      pkipath: '/pki',
      tlsPriority: 'NORMAL',
      knownHosts: '/kh',
      knownHostsVerify: 'ignore',
      mode: 'legacy',
      proxy: 'netcat',
      authfile: '/af',
      noVerify: true,
      noTty: true,
      noSanity: true,
    });
    expect(p.passthroughParams).toEqual([{ name: 'keep', value: 'me' }]);
  });

  it('reads booleans as C integers: non-zero is true', () => {
    expect(plan('qemu+tls://h/system?no_verify=0').tls?.verifyPeer).toBe(true);
    expect(plan('qemu+tls://h/system?no_verify=1').tls?.verifyPeer).toBe(false);
    expect(plan('qemu+tls://h/system?no_verify=2').tls?.verifyPeer).toBe(false);
    expect(plan('qemu+tls://h/system?no_verify=-1').tls?.verifyPeer).toBe(false);
    expect(plan('qemu+tls://h/system?no_verify=%201').tls?.verifyPeer).toBe(false);
    expect(plan('qemu+tls://h/system?no_sanity=1').tls?.sanityCheck).toBe(false);
    for (const bad of ['yes', '', '1x', '99999999999', 'true']) {
      const err = uriError(() => plan(`qemu+tls://h/system?No_Verify=${bad}`));
      expect(err.part).toBe('parameter');
      expect(err.parameter).toBe('No_Verify');
      expect(err.message).toContain(`invalid value "${bad}" for parameter "No_Verify"`);
    }
    expect(uriError(() => plan('qemu+ssh://h/system?no_tty=x')).parameter).toBe('no_tty');
    expect(uriError(() => plan('qemu+ssh://h/system?no_sanity=x')).parameter).toBe('no_sanity');
  });

  it('validates mode and proxy (case-sensitive values)', () => {
    for (const m of ['auto', 'legacy', 'direct']) expect(plan(`qemu:///system?mode=${m}`).mode).toBe(m);
    for (const bad of ['AUTO', 'modular', '']) {
      const err = uriError(() => plan(`qemu:///system?mode=${bad}`));
      expect(err.part).toBe('parameter');
      expect(err.parameter).toBe('mode');
      expect(err.message).toContain('expected auto, legacy or direct');
    }
    for (const p of ['auto', 'netcat', 'native']) expect(plan(`qemu+ssh://h/system?proxy=${p}`).proxy).toBe(p);
    const err = uriError(() => plan('qemu+ssh://h/system?PROXY=socat'));
    expect(err.parameter).toBe('PROXY');
    expect(err.message).toContain('invalid value "socat" for parameter "PROXY" (expected auto, netcat or native)');
  });

  it('falls back to remote_mode, remote_proxy and tls_priority from libvirt.conf', () => {
    const conf = parseVirConf('remote_mode = "legacy"\nremote_proxy = "netcat"\ntls_priority = "NORMAL:-VERS-SSL3.0"\n');
    expect(plan('qemu:///system', env({ conf })).mode).toBe('legacy');
    expect(plan('qemu+ssh://h/system', env({ conf })).proxy).toBe('netcat');
    expect(plan('qemu+tls://h/system', env({ conf })).tls?.priority).toBe('NORMAL:-VERS-SSL3.0');
    expect(plan('qemu+tls://h/system?tls_priority=X', env({ conf })).tls?.priority).toBe('X');
    expect(plan('qemu:///system?mode=direct', env({ conf })).mode).toBe('direct');
    const bad = parseVirConf('remote_mode = "sideways"');
    expect(uriError(() => plan('qemu:///system', env({ conf: bad }))).message).toContain('"sideways"');
  });
});

describe('UNIX socket discovery', () => {
  it('uses the system socket, read-only variant when asked', () => {
    expect(plan('qemu:///system')).toMatchObject({ socketPath: '/var/run/libvirt/libvirt-sock', socketMode: 'legacy', daemonName: 'libvirtd', session: false });
    expect(plan('qemu:///system', env({ readOnly: true }))).toMatchObject({ socketPath: '/var/run/libvirt/libvirt-sock-ro', readOnly: true });
    expect(plan('qemu:///system', env({ localStateDir: '/usr/local/var' })).socketPath).toBe('/usr/local/var/run/libvirt/libvirt-sock');
  });

  it('uses the session socket under XDG_RUNTIME_DIR, else the cache directory', () => {
    expect(plan('qemu:///session')).toMatchObject({ socketPath: '/run/user/1000/libvirt/libvirt-sock', session: true });
    expect(plan('qemu:///session', env({ readOnly: true })).socketPath).toBe('/run/user/1000/libvirt/libvirt-sock');
    expect(plan('qemu:///session', env({ env: { HOME: '/home/u', XDG_RUNTIME_DIR: '' } })).socketPath).toBe('/home/u/.cache/libvirt/libvirt-sock');
    expect(plan('qemu:///session', env({ env: { HOME: '/home/u', XDG_CACHE_HOME: '/c' } })).socketPath).toBe('/c/libvirt/libvirt-sock');
    expect(plan('qemu:///session', env({ env: { XDG_RUNTIME_DIR: '/run/user/7/' } })).socketPath).toBe('/run/user/7/libvirt/libvirt-sock');
  });

  it('uses the session daemon for test+transport URIs, and never for root', () => {
    expect(plan('test+unix:///default').socketPath).toBe('/run/user/1000/libvirt/libvirt-sock');
    expect(plan('test:///default').socketPath).toBe('/var/run/libvirt/libvirt-sock');
    expect(plan('qemu:///session', ROOT)).toMatchObject({ session: false, socketPath: '/var/run/libvirt/libvirt-sock' });
  });

  it('mode=direct picks the modular daemon of the driver', () => {
    expect(plan('qemu:///system?mode=direct')).toMatchObject({ socketPath: '/var/run/libvirt/virtqemud-sock', socketMode: 'direct', daemonName: 'virtqemud' });
    expect(plan('network:///system?mode=direct', env({ readOnly: true })).socketPath).toBe('/var/run/libvirt/virtnetworkd-sock-ro');
    expect(plan('qemu:///session?mode=direct').socketPath).toBe('/run/user/1000/libvirt/virtqemud-sock');
    expect(plan('qemu:///session?mode=legacy', env({}, ['/run/user/1000/libvirt/virtqemud-sock'])).socketPath).toBe('/run/user/1000/libvirt/libvirt-sock');
  });

  it('mode=auto prefers an existing modular socket, then libvirtd, then the build default', () => {
    const direct = '/var/run/libvirt/virtqemud-sock';
    const legacy = '/var/run/libvirt/libvirt-sock';
    expect(plan('qemu:///system', env({}, [direct, legacy]))).toMatchObject({ socketPath: direct, socketMode: 'direct', daemonName: 'virtqemud' });
    expect(plan('qemu:///system', env({}, [legacy]))).toMatchObject({ socketPath: legacy, socketMode: 'legacy' });
    expect(plan('qemu:///system', env({}, []))).toMatchObject({ socketPath: legacy, socketMode: 'legacy' });
    expect(plan('qemu:///system', env({ defaultMode: 'direct' }, []))).toMatchObject({ socketPath: direct, socketMode: 'direct' });
    expect(plan('qemu:///system', env({ defaultMode: 'direct' }, [legacy])).socketPath).toBe(legacy);
    expect(plan('lxc:///system', env({ readOnly: true }, ['/var/run/libvirt/virtlxcd-sock-ro'])).socketPath).toBe('/var/run/libvirt/virtlxcd-sock-ro');
  });

  it('socket= wins over discovery', () => {
    expect(plan('qemu:///system?socket=/tmp/s&mode=direct')).toMatchObject({ socketPath: '/tmp/s', socketMode: null, daemonName: null });
  });

  it('has no socket for tcp, tls and ext', () => {
    for (const uri of ['qemu+tcp://h/system', 'qemu+tls://h/system', 'qemu+ext:///system?command=/x']) {
      expect(plan(uri).socketPath).toBeNull();
    }
  });

  it('over SSH, auto means legacy and direct is refused', () => {
    expect(plan('qemu+ssh://h/system', env({}, ['/var/run/libvirt/virtqemud-sock'])).socketPath).toBe('/var/run/libvirt/libvirt-sock');
    const err = uriError(() => plan('qemu+ssh://h/system?mode=direct'));
    expect(err.part).toBe('parameter');
    expect(err.message).toContain('direct socket mode cannot be used with the ssh transport');
    expect(plan('qemu+ssh://h/system?mode=direct&socket=/s').socketPath).toBe('/s');
  });

  it('without URI in direct mode, guesses the driver from existing modular sockets', () => {
    const session = env({ defaultMode: 'direct' }, ['/run/user/1000/libvirt/virtvboxd-sock']);
    expect(planRemoteConnection(null, session)).toMatchObject({ socketPath: '/run/user/1000/libvirt/virtvboxd-sock', daemonName: 'virtvboxd' });
    const root: RemotePlanEnv = {
      ...ROOT,
      defaultMode: 'direct',
      exists: (p) => p === '/run/libvirt/virtqemud-sock' || p === '/var/run/libvirt/virtqemud-sock',
    };
    expect(planRemoteConnection(null, root)).toMatchObject({ socketPath: '/var/run/libvirt/virtqemud-sock', daemonName: 'virtqemud' });
    const err = uriError(() => planRemoteConnection(null, env({ defaultMode: 'direct' })));
    expect(err.message).toContain('needs a URI naming the driver');
    expect(planRemoteConnection(null, env({ defaultMode: 'direct' }, ['/run/user/1000/libvirt/libvirt-sock'])).socketPath).toBe(
      '/run/user/1000/libvirt/libvirt-sock',
    );
  });

  it('remoteUnixSocket can be used on its own', () => {
    expect(remoteUnixSocket({ transport: 'unix', mode: 'direct', driver: 'storage', session: false, readOnly: false }, ROOT)).toEqual({
      path: '/var/run/libvirt/virtstoraged-sock',
      mode: 'direct',
      daemon: 'virtstoraged',
    });
  });

  it('autostart: session, unix, no host, LIBVIRT_AUTOSTART not 0', () => {
    expect(plan('qemu:///session').autostart).toBe(true);
    expect(plan('qemu:///session', env({ env: { ...USER_ENV, LIBVIRT_AUTOSTART: '0' } })).autostart).toBe(false);
    expect(plan('qemu:///session', env({ env: { ...USER_ENV, LIBVIRT_AUTOSTART: '1' } })).autostart).toBe(true);
    expect(plan('qemu+ssh://h/session')).toMatchObject({ session: true, autostart: false });
    expect(plan('qemu:///system').autostart).toBe(false);
  });
});

describe('SSH', () => {
  it('builds the netcat command', () => {
    const p = plan('qemu+ssh://h/system?proxy=netcat');
    expect(p.ssh?.remoteCommand).toBe(`sh -c '${NC_SYSTEM}'`);
    expect(p.ssh?.proxy).toBe('netcat');
  });

  it('builds the virt-ssh-helper command, with -r when read-only', () => {
    expect(plan('qemu+ssh://h/system?proxy=native').ssh?.remoteCommand).toBe(`sh -c 'virt-ssh-helper 'qemu:///system''`);
    expect(plan('qemu+ssh://h/system?proxy=native', env({ readOnly: true })).ssh?.remoteCommand).toBe(`sh -c 'virt-ssh-helper -r 'qemu:///system''`);
  });

  it('builds the auto command: the helper when installed, else netcat', () => {
    const p = plan('qemu+ssh://h/system');
    expect(p.proxy).toBe('auto');
    expect(p.ssh?.remoteCommand).toBe(
      `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper 'qemu:///system'; else    ${NC_SYSTEM}; fi'`,
    );
  });

  it('quotes the helper URI twice when it has shell metacharacters', () => {
    const p = plan('qemu+ssh://h/system?foo=bar&mode=legacy&keyfile=/k');
    expect(p.connectName).toBe('qemu:///system?foo=bar');
    expect(p.ssh?.helperUri).toBe('qemu:///system?foo=bar&mode=legacy');
    expect(p.ssh?.remoteCommand).toContain(`virt-ssh-helper '''\\''qemu:///system?foo=bar&mode=legacy'\\''''; else`);
  });

  it('uses netcat by default when socket= is given, and keeps socket= for the helper', () => {
    const p = plan('qemu+ssh://h/system?socket=/tmp/s');
    expect(p.proxy).toBe('netcat');
    expect(p.connectName).toBe('qemu:///system');
    expect(p.ssh?.helperUri).toBe('qemu:///system?socket=%2Ftmp%2Fs');
    expect(p.ssh?.remoteCommand).toBe(`sh -c 'if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U /tmp/s'`);
  });

  it('uses virt-ssh-helper by default for a session URI', () => {
    const p = plan('qemu+ssh://h/session');
    expect(p.proxy).toBe('native');
    expect(p.ssh?.remoteCommand).toBe(`sh -c 'virt-ssh-helper 'qemu:///session''`);
  });

  it('netcat= turns auto into netcat, is quoted twice, and conflicts with native', () => {
    const p = plan('qemu+ssh://h/system?netcat=/opt/my%20nc');
    expect(p.proxy).toBe('auto');
    expect(p.ssh?.proxy).toBe('netcat');
    expect(p.ssh?.netcat).toBe('/opt/my nc');
    expect(p.ssh?.remoteCommand).toBe(
      `sh -c 'if '''\\''/opt/my nc'\\'''' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;` +
        `'''\\''/opt/my nc'\\'''' $ARG -U /var/run/libvirt/libvirt-sock'`,
    );
    const err = uriError(() => plan('qemu+ssh://h/system?netcat=nc&proxy=native'));
    expect(err.parameter).toBe('netcat');
    expect(err.message).toContain('cannot be used with proxy "native"');
  });

  it('builds the ssh command line', () => {
    expect(plan('qemu+ssh://h/system?proxy=native').ssh?.argv).toEqual(['ssh', '-T', '-e', 'none', '--', 'h', `sh -c 'virt-ssh-helper 'qemu:///system''`]);
    const p = plan('qemu+ssh://root@example.com:2222/system?proxy=native&keyfile=/home/u/.ssh/k&no_tty=1&no_verify=1&command=/usr/bin/myssh');
    expect(p.ssh?.argv).toEqual([
      '/usr/bin/myssh',
      '-p',
      '2222',
      '-l',
      'root',
      '-i',
      '/home/u/.ssh/k',
      '-T',
      '-e',
      'none',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '--',
      'example.com',
      `sh -c 'virt-ssh-helper 'qemu:///system''`,
    ]);
    expect(p.ssh).toMatchObject({
      client: 'ssh',
      username: 'root',
      keyfile: '/home/u/.ssh/k',
      noTty: true,
      noVerify: true,
      knownHosts: null,
      authMethods: null,
    });
    expect(plan('qemu+ssh://[fe80::1]/system').ssh?.argv).toContain('fe80::1');
  });

  it('libssh and libssh2: defaults for user, known hosts, verification and auth methods', () => {
    const p = plan('qemu+libssh://h/system', env({}, ['/home/u/.ssh/id_ed25519', '/home/u/.ssh/id_rsa']));
    expect(p.ssh).toMatchObject({
      client: 'libssh',
      argv: null,
      username: 'root',
      keyfile: '/home/u/.ssh/id_ed25519',
      knownHosts: '/home/u/.config/libvirt/known_hosts',
      knownHostsVerify: 'normal',
      authMethods: ['agent', 'privkey', 'password', 'keyboard-interactive'],
    });
    expect(p.port).toBe(22);
    const q = plan(
      'qemu+libssh2://me@h/system?known_hosts=/kh&known_hosts_verify=AUTO&sshauth=password,agent',
      env({ env: { HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' } }),
    );
    expect(q.ssh).toMatchObject({
      client: 'libssh2',
      username: 'me',
      keyfile: null,
      knownHosts: '/kh',
      knownHostsVerify: 'auto',
      authMethods: ['password', 'agent'],
    });
    expect(plan('qemu+libssh2://h/system', env({ env: { HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' } })).ssh).toMatchObject({
      knownHosts: '/cfg/libvirt/known_hosts',
      authMethods: ['agent', 'password', 'keyboard-interactive'],
    });
    expect(plan('qemu+libssh://h/system?proxy=netcat').ssh?.remoteCommand).toBe(`sh -c '${NC_SYSTEM}'`);
  });

  it('libssh and libssh2: reject unknown verification policies and auth methods', () => {
    const err = uriError(() => plan('qemu+libssh://h/system?known_hosts_verify=maybe'));
    expect(err.parameter).toBe('known_hosts_verify');
    expect(err.message).toContain('expected normal, auto or ignore');
    const err2 = uriError(() => plan('qemu+libssh2://h/system?sshauth=agent,,password'));
    expect(err2.parameter).toBe('sshauth');
    expect(err2.message).toContain('unknown method ""');
    expect(uriError(() => plan('qemu+libssh://h/system?sshauth=gssapi')).message).toContain('"gssapi"');
  });

  it('sshRemoteCommand and shellEscape are usable on their own', () => {
    expect(shellEscape('')).toBe("''");
    expect(shellEscape('plain/path-1.2')).toBe('plain/path-1.2');
    expect(shellEscape("it's")).toBe("'it'\\''s'");
    expect(shellEscape('a b')).toBe("'a b'");
    const r = sshRemoteCommand({ proxy: 'native', netcat: null, socketPath: '/s', helperUri: '', readOnly: false });
    // '' quoted once is '', quoted again is ''\'''\''' (then wrapped in '...' twice).
    expect(r.command).toBe(`sh -c 'virt-ssh-helper '''\\'''\\'''''`);
  });
});

describe('TLS, TCP and ext', () => {
  it('TLS settings', () => {
    expect(plan('qemu+tls://h/system').tls).toEqual({ pkiPath: null, priority: null, verifyPeer: true, sanityCheck: true });
    expect(plan('qemu://h/system?pkipath=/etc/pki/x&tls_priority=NORMAL&no_verify=1&no_sanity=1').tls).toEqual({
      pkiPath: '/etc/pki/x',
      priority: 'NORMAL',
      verifyPeer: false,
      sanityCheck: false,
    });
    expect(plan('qemu+tcp://h/system').tls).toBeNull();
  });

  it('keeps user and auth', () => {
    expect(plan('qemu+tcp://bob@h/system?auth=sasl.digest-md5')).toMatchObject({ user: 'bob', options: { auth: 'sasl.digest-md5' } });
  });

  it('ext runs command= as a single program path', () => {
    const p = plan('qemu+ext:///system?command=/usr/bin/my%20proxy%20--x&foo=1');
    expect(p.ext).toEqual({ argv: ['/usr/bin/my proxy --x'] });
    expect(p.connectName).toBe('qemu:///system?foo=1');
    expect(p.ssh).toBeNull();
    const err = uriError(() => plan('qemu+ext:///system'));
    expect(err.part).toBe('parameter');
    expect(err.parameter).toBe('command');
    expect(err.message).toBe('missing parameter "command" (required by the ext transport) in URI "qemu+ext:///system"');
  });
});
