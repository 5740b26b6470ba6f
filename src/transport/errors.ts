/**
 * Errors raised while reading libvirt URIs, planning a remote connection and
 * reading libvirt's client configuration file.
 *
 * Both classes carry a stable `code` and a `Symbol.for` brand, so
 * `instanceof` works across two copies of this package.
 */
import { brandClass } from '../errors/brand.js';
import { LibvirtRpcError } from '../errors/root.js';
import { redactUriText } from './uri-secrets.js';

/** Which part of a URI an {@link UriError} concerns. */
export type UriPart = 'uri' | 'scheme' | 'transport' | 'user' | 'host' | 'port' | 'path' | 'query' | 'fragment' | 'parameter';

/** Options of the {@link UriError} constructor. */
export interface UriErrorOptions {
  /** The URI text the problem was found in. */
  uri: string;
  /** The part of the URI that is wrong. */
  part: UriPart;
  /** For `part: 'parameter'`, the parameter's name as written in the URI. */
  parameter?: string;
  /** The error that led to this one, if any. */
  cause?: unknown;
}

/**
 * A URI that libvirt would not accept, or would not know how to connect to.
 * The message quotes the URI and names the part that is wrong, for example
 * `invalid port "99999" in URI "qemu+tcp://h:99999/system"`. The URI is
 * quoted (and kept in `uri`) with its secrets redacted: the password of the
 * user part and the values of secret parameters read `***`.
 */
export class UriError extends LibvirtRpcError {
  /** Stable machine-readable code. */
  declare readonly code: 'URI_INVALID';
  /** The URI text the problem was found in, with its secrets redacted. */
  readonly uri: string;
  /** The part of the URI that is wrong. */
  readonly part: UriPart;
  /** For a bad query parameter, its name as written in the URI. */
  readonly parameter: string | undefined;

  /**
   * @param problem - what is wrong, without the URI (`invalid port "99999"`);
   *   the constructor appends ` in URI "<uri>"`.
   */
  constructor(problem: string, options: UriErrorOptions) {
    const uri = redactUriText(options.uri);
    super('URI_INVALID', `${problem} in URI ${JSON.stringify(uri)}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UriError';
    this.uri = uri;
    this.part = options.part;
    this.parameter = options.parameter;
  }
}
brandClass(UriError, 'UriError');

/** Options of the {@link ConfigError} constructor. */
export interface ConfigErrorOptions {
  /** The configuration file, or `<string>` for text not read from a file. */
  file: string;
  /** 1-based line of the problem, when it has one. */
  line?: number;
  /** The error that led to this one, if any. */
  cause?: unknown;
}

/**
 * A libvirt client configuration file (`libvirt.conf`) that cannot be read,
 * is not in libvirt's configuration syntax, or holds a setting of the wrong
 * type or form (for example a malformed `uri_aliases` entry). The message
 * starts with `file:line:` when the line is known.
 */
export class ConfigError extends LibvirtRpcError {
  /** Stable machine-readable code. */
  declare readonly code: 'CONFIG_INVALID';
  /** The configuration file concerned. */
  readonly file: string;
  /** 1-based line of the problem, when it has one. */
  readonly line: number | undefined;

  constructor(problem: string, options: ConfigErrorOptions) {
    const where = options.line === undefined ? options.file : `${options.file}:${options.line}`;
    super('CONFIG_INVALID', `${where}: ${problem}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.file = options.file;
    this.line = options.line;
  }
}
brandClass(ConfigError, 'ConfigError');
