import { describe, expect, it } from 'vitest';
import { formatParams, formatUri, getUriParam, parseUri, UriError, type LibvirtUri, type UriParam } from '../../../src/transport/index.js';

/** What libvirt's own URI tests check after parsing: the fields, then a round trip through the params. */
interface ParseCase {
  uri: string;
  out?: string;
  scheme: string;
  host: string | null;
  port: number | null;
  path: string | null;
  query: string | null;
  fragment: string | null;
  user: string | null;
  params: UriParam[];
}

function check(c: ParseCase): void {
  const u = parseUri(c.uri);
  expect(u.scheme).toBe(c.scheme);
  expect(u.host).toBe(c.host);
  expect(u.port).toBe(c.port);
  expect(u.path).toBe(c.path);
  expect(u.query).toBe(c.query);
  expect(u.fragment).toBe(c.fragment);
  expect(u.user).toBe(c.user);
  expect(u.params).toEqual(c.params);
  expect(formatUri(u)).toBe(c.out ?? c.uri);
}

describe('parseUri: libvirt URI test cases', () => {
  const base = { port: null, path: null, query: null, fragment: null, user: null, params: [] };
  const cases: ParseCase[] = [
    { ...base, uri: 'test://example.com', scheme: 'test', host: 'example.com' },
    { ...base, uri: 'test://foo@example.com', scheme: 'test', host: 'example.com', user: 'foo' },
    { ...base, uri: 'test://foo:pass@example.com', scheme: 'test', host: 'example.com', user: 'foo:pass' },
    { ...base, uri: 'test://example.com:123', scheme: 'test', host: 'example.com', port: 123 },
    {
      uri: 'test://example.com:123/system?name=value#foo',
      scheme: 'test',
      host: 'example.com',
      port: 123,
      path: '/system',
      query: 'name=value',
      fragment: 'foo',
      user: null,
      params: [{ name: 'name', value: 'value' }],
    },
    { ...base, uri: 'test://127.0.0.1:123/system', scheme: 'test', host: '127.0.0.1', port: 123, path: '/system' },
    { ...base, uri: 'test://[::1]:123/system', scheme: 'test', host: '::1', port: 123, path: '/system' },
    {
      ...base,
      uri: 'test://[2001:41c8:1:4fd4::2]:123/system',
      scheme: 'test',
      host: '2001:41c8:1:4fd4::2',
      port: 123,
      path: '/system',
    },
    {
      ...base,
      uri: 'gluster+rdma://example.com:1234/gv0/vol.img',
      scheme: 'gluster+rdma',
      host: 'example.com',
      port: 1234,
      path: '/gv0/vol.img',
    },
    {
      uri: 'spice://[3ffe::104]:5900/?tlsSubject=C=XX,L=Testtown,O=Test%20Company,CN=tester.test',
      out: 'spice://[3ffe::104]:5900/?tlsSubject=C%3DXX%2CL%3DTesttown%2CO%3DTest%20Company%2CCN%3Dtester.test',
      scheme: 'spice',
      host: '3ffe::104',
      port: 5900,
      path: '/',
      fragment: null,
      user: null,
      query: 'tlsSubject=C=XX,L=Testtown,O=Test%20Company,CN=tester.test',
      params: [{ name: 'tlsSubject', value: 'C=XX,L=Testtown,O=Test Company,CN=tester.test' }],
    },
  ];
  for (const c of cases) it(c.uri, () => check(c));
});

describe('parseUri: libvirt query parameter cases', () => {
  const one = (name: string, value: string): UriParam => ({ name, value });
  const cases: Array<[string, string, UriParam[]]> = [
    ['foo=one&bar=two', '', [one('foo', 'one'), one('bar', 'two')]],
    ['foo=one&foo=two', '', [one('foo', 'one'), one('foo', 'two')]],
    ['foo=one&&foo=two', 'foo=one&foo=two', [one('foo', 'one'), one('foo', 'two')]],
    ['foo=one;foo=two', 'foo=one&foo=two', [one('foo', 'one'), one('foo', 'two')]],
    ['foo=%26one&bar=%26two', '', [one('foo', '&one'), one('bar', '&two')]],
    ['foo', 'foo=', [one('foo', '')]],
    ['foo=', '', [one('foo', '')]],
    ['foo=&', 'foo=', [one('foo', '')]],
    ['foo=&&', 'foo=', [one('foo', '')]],
    ['foo=one%20two', '', [one('foo', 'one two')]],
    ['=bogus&foo=one', 'foo=one', [one('foo', 'one')]],
  ];
  for (const [query, out, params] of cases) {
    it(query, () => {
      check({
        uri: `test://example.com/?${query}`,
        out: out ? `test://example.com/?${out}` : undefined,
        scheme: 'test',
        host: 'example.com',
        port: null,
        path: '/',
        query,
        fragment: null,
        user: null,
        params,
      });
    });
  }

  it('uses ";" as a separator only when no "&" is left (libvirt quirk)', () => {
    expect(parseUri('test:///?a=1;b=2&c=3').params).toEqual([one('a', '1;b=2'), one('c', '3')]);
    expect(parseUri('test:///?a=1&b=2;c=3').params).toEqual([one('a', '1'), one('b', '2'), one('c', '3')]);
  });

  it('does not turn "+" into a space (libvirt only decodes %xx)', () => {
    expect(parseUri('test:///?a=b+c&d=e%2Bf').params).toEqual([one('a', 'b+c'), one('d', 'e+f')]);
  });

  it('decodes names and UTF-8 escapes', () => {
    expect(parseUri('test:///?n%61me=%C3%A9t%C3%A9').params).toEqual([one('name', 'été')]);
  });

  it('formats values escaping everything but unreserved characters, names as they are', () => {
    expect(formatParams([one('a', 'x y/z~-._'), one('b', 'é')])).toBe('a=x%20y%2Fz~-._&b=%C3%A9');
    expect(formatParams([])).toBe('');
  });
});

describe('parseUri: components', () => {
  it('splits driver and transport at the first "+"', () => {
    const u = parseUri('qemu+ssh://root@host:2222/system');
    expect([u.driver, u.transport, u.user, u.host, u.port, u.path]).toEqual(['qemu', 'ssh', 'root', 'host', 2222, '/system']);
    expect(parseUri('qemu:///system')).toMatchObject({ driver: 'qemu', transport: null, host: null, path: '/system' });
    expect(parseUri('a+b+c:///').transport).toBe('b+c');
  });

  it('keeps an empty query distinct from none', () => {
    expect(parseUri('test:///x?').query).toBe('');
    expect(parseUri('test:///x').query).toBeNull();
    expect(formatUri(parseUri('test:///x?'))).toBe('test:///x');
  });

  it('decodes the path, user and host and re-escapes them', () => {
    const u = parseUri('test://us%20er@ex%61mple.com/a%20b/c%3Ad');
    expect(u.user).toBe('us er');
    expect(u.host).toBe('example.com');
    expect(u.path).toBe('/a b/c:d');
    expect(formatUri(u)).toBe('test://us%20er@example.com/a%20b/c%3Ad');
  });

  it('always writes "//", as libvirt does', () => {
    expect(formatUri(parseUri('test:/abs/path'))).toBe('test:///abs/path');
    expect(formatUri(parseUri('test:'))).toBe('test://');
    expect(formatUri({ scheme: 'qemu', path: '' })).toBe('qemu://');
  });

  it('treats port 0, and a port without host, as no port', () => {
    expect(parseUri('test://h:0/').port).toBeNull();
    expect(parseUri('test://:123/x')).toMatchObject({ host: null, port: null, path: '/x' });
    expect(parseUri('test://h:65535/').port).toBe(65535);
  });

  it('formats IPv6 hosts with brackets and fragments', () => {
    expect(formatUri({ scheme: 'qemu+tls', host: 'fe80::1', port: 16514, path: '/system', fragment: 'a b' })).toBe('qemu+tls://[fe80::1]:16514/system#a%20b');
    expect(parseUri('test://[::ffff:1.2.3.4]/').host).toBe('::ffff:1.2.3.4');
  });

  it('getUriParam compares names case-insensitively and returns the first', () => {
    const u = parseUri('qemu:///system?Socket=/a&socket=/b');
    expect(getUriParam(u, 'SOCKET')).toBe('/a');
    expect(getUriParam(u, 'mode')).toBeUndefined();
  });
});

describe('parseUri: malformed URIs', () => {
  const bad: Array<[string, UriError['part'], RegExp]> = [
    ['qemu+tcp://h:99999/system', 'port', /^invalid port "99999" in URI "qemu\+tcp:\/\/h:99999\/system"$/],
    ['qemu+tcp://h:12a/system', 'port', /invalid port "12a"/],
    ['qemu+tcp://h:/system', 'port', /invalid port ""/],
    ['qemu+tcp://h:-1/system', 'port', /invalid port "-1"/],
    ['://host/system', 'scheme', /^empty scheme in URI/],
    ['/var/run/libvirt/libvirt-sock', 'scheme', /missing scheme/],
    ['qemu', 'scheme', /missing scheme/],
    ['1qemu:///system', 'scheme', /invalid scheme "1qemu"/],
    ['qe_mu:///system', 'scheme', /invalid scheme "qe_mu"/],
    ['', 'uri', /empty URI/],
    ['test:///a%zzb', 'path', /invalid path: bad %-escape "%zz"/],
    ['test:///a%4', 'path', /invalid path: bad %-escape "%4"/],
    ['test:///a b', 'path', /invalid path: character " " is not allowed/],
    ['test:///?a=%g1', 'query', /invalid query: bad %-escape "%g1"/],
    ['test:///?a=b c', 'query', /invalid query/],
    ['test:///?a=%ff', 'query', /UTF-8/],
    ['test://u%zz@h/', 'user', /invalid user/],
    ['test://h%zz/', 'host', /invalid host/],
    ['test://h^x/', 'host', /invalid host/],
    ['test://a@b@c/', 'host', /invalid host/],
    ['test://[::1/', 'host', /no closing "\]"/],
    ['test://[zz::1]/', 'host', /not an IPv6 address/],
    ['test://[::1]x/', 'host', /invalid host/],
    ['test:///#a#b', 'fragment', /invalid fragment/],
    ['test:///é', 'path', /invalid path/],
  ];
  for (const [uri, part, message] of bad) {
    it(`${JSON.stringify(uri)} → ${part}`, () => {
      let caught: unknown;
      try {
        parseUri(uri);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UriError);
      const err = caught as UriError;
      expect(err.code).toBe('URI_INVALID');
      expect(err.part).toBe(part);
      expect(err.uri).toBe(uri);
      expect(err.message).toMatch(message);
      expect(err.message).toContain(JSON.stringify(uri));
    });
  }

  it('UriError instanceof works across copies through the Symbol.for brand', () => {
    const foreign = Object.create({ [Symbol.for('libvirt-rpc.UriError')]: true }) as object;
    expect(foreign).toBeInstanceOf(UriError);
    expect(new Error('x')).not.toBeInstanceOf(UriError);
    expect(null).not.toBeInstanceOf(UriError);
  });

  it('rejects a non-string', () => {
    expect(() => parseUri(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('formatUri round trips', () => {
  const uris = [
    'qemu:///system',
    'qemu+ssh://root@example.com:2222/system?keyfile=%2Froot%2Fk',
    'qemu+tls://[2001:db8::1]/system',
    'lxc:///',
    'test:///default',
    'vbox+tcp://user@host/session#frag',
  ];
  for (const text of uris) {
    it(text, () => {
      const u: LibvirtUri = parseUri(text);
      expect(formatUri(u)).toBe(text);
      expect(parseUri(formatUri(u))).toEqual(u);
    });
  }
});
