/**
 * The C library's strerror() texts for the system errors tsvirsh reports the
 * way libvirt and virsh print them ("Failed to open file 'x': No such file or
 * directory"), keyed by Node's error code.
 */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  ENXIO: 'No such device or address',
  EOVERFLOW: 'Value too large for defined data type',
  ECONNREFUSED: 'Connection refused',
  ENOSPC: 'No space left on device',
  EINVAL: 'Invalid argument',
  EPIPE: 'Broken pipe',
  EIO: 'Input/output error',
  EFBIG: 'File too large',
  EDQUOT: 'Disk quota exceeded',
  EROFS: 'Read-only file system',
  ESPIPE: 'Illegal seek',
  EBADF: 'Bad file descriptor',
};

/** strerror()'s text for an error code, or undefined when the table does not have it. */
export function strerrorOf(code: string | null | undefined): string | undefined {
  return code ? STRERROR[code] : undefined;
}

/** strerror()'s text for a Node system error, else the error's own message. */
export function strerror(err: unknown): string {
  return strerrorOf((err as NodeJS.ErrnoException | null)?.code) ?? (err instanceof Error ? err.message : String(err));
}
