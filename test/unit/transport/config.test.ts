import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  findUriAlias,
  libvirtConfPath,
  loadLibvirtConf,
  parseVirConf,
  resolveConnectUri,
  resolveDefaultUri,
  resolveUriAlias,
  userCacheDir,
  userConfigDir,
  userRuntimeDir,
  VirConf,
  type ConfigEnv,
} from '../../../src/transport/index.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** A user whose libvirt.conf (if any) is `files[path]`. */
function user(files: Record<string, string> = {}, vars: Record<string, string> = {}): ConfigEnv {
  return { uid: 1000, env: { HOME: '/home/u', ...vars }, readFile: (p) => files[p] ?? null };
}
const USER_CONF = '/home/u/.config/libvirt/libvirt.conf';

describe('parseVirConf', () => {
  it('reads strings, numbers, lists and comments', () => {
    const conf = parseVirConf(
      [
        '# libvirt.conf',
        '',
        'uri_default = "qemu:///system"   # trailing comment',
        "single='it is'",
        'n = 42',
        'neg=-7 ; pos = +3',
        'uri_aliases = [',
        '  "hail=qemu+ssh://root@hail.example.com/system",',
        "  'sleet=qemu+ssh://root@sleet.example.com/system',",
        ']',
        'empty = [ ]',
        'nested = [ [1, 2], "x" ]',
        'multi = """line one',
        'line two"""',
        'after_multi = 1',
        'dotted.name_2 = "ok"',
        '_under = "ok"',
      ].join('\n'),
      'test.conf',
    );
    expect(conf.file).toBe('test.conf');
    expect(conf.getString('uri_default')).toBe('qemu:///system');
    expect(conf.getString('single')).toBe('it is');
    expect(conf.get('n')?.value).toBe(42);
    expect(conf.get('neg')?.value).toBe(-7);
    expect(conf.get('pos')?.value).toBe(3);
    expect(conf.getStringList('uri_aliases')).toEqual(['hail=qemu+ssh://root@hail.example.com/system', 'sleet=qemu+ssh://root@sleet.example.com/system']);
    expect(conf.getStringList('empty')).toEqual([]);
    expect(conf.get('nested')?.value).toEqual([[1, 2], 'x']);
    expect(conf.getString('multi')).toBe('line one\nline two');
    expect(conf.get('after_multi')?.line).toBe(15);
    expect(conf.get('uri_aliases')?.line).toBe(7);
    expect(conf.getString('dotted.name_2')).toBe('ok');
    expect(conf.getString('_under')).toBe('ok');
    expect(conf.get('missing')).toBeUndefined();
    expect(conf.getString('missing')).toBeUndefined();
  });

  it('accepts a trailing comma, CRLF line ends and no final newline', () => {
    const conf = parseVirConf('a = [ "x",\r\n "y", ]\r\nb = "z"');
    expect(conf.getStringList('a')).toEqual(['x', 'y']);
    expect(conf.getString('b')).toBe('z');
    expect(parseVirConf('').entries).toEqual([]);
    expect(parseVirConf('\n\n# only a comment\n').entries).toEqual([]);
  });

  it('lets the first of two settings win', () => {
    const conf = parseVirConf('x = "first"\nx = "second"\n');
    expect(conf.getString('x')).toBe('first');
    expect(conf.entries).toHaveLength(2);
  });

  it.each([
    ['x = "open\n', 1, /unterminated string/],
    ["a = 1\nx = 'open", 2, /unterminated string/],
    ['a = 1\n\nx "y"', 3, /expecting "=" after "x"/],
    ['x = ', 1, /expecting a value, found the end of the file/],
    ['x = yes', 1, /expecting a value, found "y"/],
    ['x = 1 y = 2', 1, /expecting a separator/],
    ['x = [ "a" "b" ]', 1, /expecting "," or "\]" in list/],
    ['x = [ "a",\n "b"\n', 3, /list is not closed/],
    ['x = [ "a", # comment\n ]', 1, /expecting a value/],
    ['1x = 2', 1, /expecting a name/],
    ['x = -', 1, /unterminated number/],
    ['x = 123456789012345678901', 1, /numeric overflow/],
    ['x = """never closed\n', 1, /unterminated string/],
  ])('rejects %j at line %i', (text, line, message) => {
    const err = configError(() => parseVirConf(text, '/etc/libvirt/libvirt.conf'));
    expect(err.file).toBe('/etc/libvirt/libvirt.conf');
    expect(err.line).toBe(line);
    expect(err.message).toMatch(new RegExp(`^/etc/libvirt/libvirt\\.conf:${line}: `));
    expect(err.message).toMatch(message);
  });

  it('checks value types', () => {
    const conf = parseVirConf('n = 1\nl = ["a", 2]\ns = "x"\n', 'f.conf');
    expect(configError(() => conf.getString('n')).message).toBe('f.conf:1: expected a string for "n" parameter');
    expect(configError(() => conf.getStringList('l')).message).toBe('f.conf:2: expected a string list for "l" parameter');
    expect(configError(() => conf.getStringList('s')).line).toBe(3);
  });

  it('ConfigError instanceof works across copies', () => {
    expect(Object.create({ [Symbol.for('libvirt-rpc.ConfigError')]: true })).toBeInstanceOf(ConfigError);
    expect(new Error('x')).not.toBeInstanceOf(ConfigError);
  });
});

describe('where libvirt.conf and user directories are', () => {
  it('root reads /etc, users the XDG config directory', () => {
    expect(libvirtConfPath({ uid: 0, env: {} })).toBe('/etc/libvirt/libvirt.conf');
    expect(libvirtConfPath({ uid: 0, env: {}, sysconfDir: '/usr/local/etc' })).toBe('/usr/local/etc/libvirt/libvirt.conf');
    expect(libvirtConfPath({ uid: 1000, env: { HOME: '/home/u', XDG_CONFIG_HOME: '/xdg' } })).toBe('/xdg/libvirt/libvirt.conf');
    expect(libvirtConfPath({ uid: 1000, env: { HOME: '/home/u', XDG_CONFIG_HOME: '' } })).toBe(USER_CONF);
    expect(libvirtConfPath({ uid: 1000, env: {}, homeDir: '/h' })).toBe('/h/.config/libvirt/libvirt.conf');
  });

  it('derives the config, cache and runtime directories', () => {
    const e = { env: { HOME: '/home/u' } };
    expect(userConfigDir(e)).toBe('/home/u/.config/libvirt');
    expect(userCacheDir(e)).toBe('/home/u/.cache/libvirt');
    expect(userRuntimeDir(e)).toBe('/home/u/.cache/libvirt');
    expect(userRuntimeDir({ env: { HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' } })).toBe('/run/user/1000/libvirt');
    expect(userRuntimeDir({ env: { HOME: '/home/u', XDG_CACHE_HOME: '/cache/' } })).toBe('/cache/libvirt');
  });

  it('loads the file when present, null when not', () => {
    expect(loadLibvirtConf(user())).toBeNull();
    const conf = loadLibvirtConf(user({ [USER_CONF]: 'uri_default = "lxc:///"' }));
    expect(conf).toBeInstanceOf(VirConf);
    expect(conf?.file).toBe(USER_CONF);
  });
});

describe('resolveDefaultUri', () => {
  it('prefers LIBVIRT_DEFAULT_URI', () => {
    const e = user({ [USER_CONF]: 'uri_default = "lxc:///"' }, { LIBVIRT_DEFAULT_URI: 'qemu:///session' });
    expect(resolveDefaultUri(e)).toEqual({ uri: 'qemu:///session', source: 'env' });
  });

  it('falls back to uri_default, ignoring an empty LIBVIRT_DEFAULT_URI', () => {
    const e = user({ [USER_CONF]: 'uri_default = "lxc:///"' }, { LIBVIRT_DEFAULT_URI: '' });
    expect(resolveDefaultUri(e)).toEqual({ uri: 'lxc:///', source: 'config', file: USER_CONF });
    const root: ConfigEnv = { uid: 0, env: {}, readFile: (p) => (p === '/etc/libvirt/libvirt.conf' ? 'uri_default = "qemu:///system"' : null) };
    expect(resolveDefaultUri(root)).toMatchObject({ uri: 'qemu:///system', source: 'config' });
  });

  it('is null when neither is set', () => {
    expect(resolveDefaultUri(user())).toBeNull();
    expect(resolveDefaultUri(user({ [USER_CONF]: '# nothing\n' }))).toBeNull();
  });

  it('rejects a uri_default that is not a string', () => {
    expect(configError(() => resolveDefaultUri(user({ [USER_CONF]: 'uri_default = 1' }))).line).toBe(1);
  });
});

describe('URI aliases', () => {
  const ALIASES = 'uri_aliases = [\n  "hail=qemu+ssh://root@hail.example.com/system",\n  "my-box_2=qemu:///session",\n]\n';

  it('resolves an exact alias name', () => {
    const e = user({ [USER_CONF]: ALIASES });
    expect(resolveUriAlias('hail', e)).toBe('qemu+ssh://root@hail.example.com/system');
    expect(resolveUriAlias('my-box_2', e)).toBe('qemu:///session');
    expect(resolveUriAlias('HAIL', e)).toBeNull();
    expect(resolveUriAlias('hai', e)).toBeNull();
    expect(resolveUriAlias('qemu:///system', e)).toBeNull();
    expect(resolveUriAlias('hail', null)).toBeNull();
    expect(resolveUriAlias('hail', user())).toBeNull();
    expect(resolveUriAlias('hail', parseVirConf(ALIASES))).toBe('qemu+ssh://root@hail.example.com/system');
  });

  it('never matches a name with ":" since alias names cannot hold one', () => {
    expect(findUriAlias(['a=x'], 'a:')).toBeNull();
    expect(() => findUriAlias(['a:b=x'], 'a:b')).toThrow(/aliases may only contain/);
  });

  it('rejects malformed entries met before a match', () => {
    const e = user({ [USER_CONF]: 'uri_aliases = [\n "ok=lxc:///",\n "broken",\n "bad name=x" ]' });
    expect(resolveUriAlias('ok', e)).toBe('lxc:///');
    const err = configError(() => resolveUriAlias('other', e));
    expect(err.message).toBe(`${USER_CONF}:1: malformed "uri_aliases" entry "broken", expected "alias=uri://host/path"`);
    const err2 = configError(() => findUriAlias(['good=x', 'bad name=x'], 'zzz', 'f'));
    expect(err2.message).toContain('aliases may only contain "a-z", "A-Z", "0-9", "_" and "-"');
    expect(findUriAlias(['=x'], 'a')).toBeNull();
  });

  it('rejects a uri_aliases that is not a list of strings', () => {
    expect(configError(() => resolveUriAlias('x', user({ [USER_CONF]: 'uri_aliases = "a=b"' }))).message).toContain('expected a string list');
  });
});

describe('resolveConnectUri', () => {
  const CONF = 'uri_default = "home"\nuri_aliases = [ "home=qemu:///session", "work=qemu+ssh://w/system" ]\n';

  it('uses the given name, resolving aliases', () => {
    const e = user({ [USER_CONF]: CONF });
    expect(resolveConnectUri('qemu:///system', e)).toMatchObject({ uri: 'qemu:///system', source: 'argument', alias: null });
    expect(resolveConnectUri('work', e)).toMatchObject({ uri: 'qemu+ssh://w/system', source: 'argument', alias: 'work' });
    expect(resolveConnectUri('work', { ...e, noAliases: true })).toMatchObject({ uri: 'work', alias: null });
  });

  it('treats "" like no name and resolves the default through aliases', () => {
    const e = user({ [USER_CONF]: CONF });
    expect(resolveConnectUri('', e)).toMatchObject({ uri: 'qemu:///session', source: 'config', alias: 'home' });
    expect(resolveConnectUri(null, user({ [USER_CONF]: CONF }, { LIBVIRT_DEFAULT_URI: 'work' }))).toMatchObject({
      uri: 'qemu+ssh://w/system',
      source: 'env',
      alias: 'work',
    });
    expect(resolveConnectUri(undefined, user())).toEqual({ uri: null, source: null, alias: null, conf: null });
  });

  it('maps the historical xen names', () => {
    expect(resolveConnectUri('xen', user()).uri).toBe('xen:///system');
    expect(resolveConnectUri('XEN', user()).uri).toBe('xen:///system');
    expect(resolveConnectUri('xen://', user()).uri).toBe('xen:///system');
  });

  it('fails on a broken libvirt.conf even when a name is given', () => {
    const err = configError(() => resolveConnectUri('qemu:///system', user({ [USER_CONF]: 'uri_default = \n' })));
    expect(err.file).toBe(USER_CONF);
  });
});
