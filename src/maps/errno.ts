// Error numbers as Linux x86-64 defines them, and the error class of the user-space face.

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  ENODEV: 19,
  ERANGE: 34,
  EDEADLK: 35,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  /** Kernel-internal "operation not supported" (not EOPNOTSUPP): ringbuf element ops, missing batch ops. */
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof ERRNO;

// Negative values, as kernel ops and helpers return them.
export const EPERM = -ERRNO.EPERM;
export const ENOENT = -ERRNO.ENOENT;
export const E2BIG = -ERRNO.E2BIG;
export const EBADF = -ERRNO.EBADF;
export const EAGAIN = -ERRNO.EAGAIN;
export const ENOMEM = -ERRNO.ENOMEM;
export const EACCES = -ERRNO.EACCES;
export const EFAULT = -ERRNO.EFAULT;
export const EBUSY = -ERRNO.EBUSY;
export const EEXIST = -ERRNO.EEXIST;
export const EINVAL = -ERRNO.EINVAL;
export const ENOSPC = -ERRNO.ENOSPC;
export const EOPNOTSUPP = -ERRNO.EOPNOTSUPP;
export const ENOTSUPP = -ERRNO.ENOTSUPP;

/** The errno name of a negative (or positive) error number, e.g. -2 -> 'ENOENT'. */
export function errnoName(code: number): ErrnoName {
  const n = Math.abs(code);
  for (const [name, value] of Object.entries(ERRNO)) if (value === n) return name as ErrnoName;
  throw new RangeError(`unknown errno ${code}`);
}

/** strerror(3) texts, as bpftool prints them in its {"error": ...} answers. */
export const STRERROR: Record<ErrnoName, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  ENODEV: 'No such device',
  ERANGE: 'Numerical result out of range',
  EDEADLK: 'Resource deadlock avoided',
  EOPNOTSUPP: 'Operation not supported',
  ETIMEDOUT: 'Connection timed out',
  ENOTSUPP: 'Unknown error 524',
};

/**
 * A failed map operation on the user-space face, as libbpf reports it: `errno` is the name,
 * `code` the negative number the kernel returns. The message names the map, the operation,
 * the errno and what to do about it.
 */
export class BpfError extends Error {
  override name = 'BpfError';
  /** The errno's name, e.g. 'ENOENT', 'E2BIG'. */
  readonly errno: ErrnoName;
  /** The kernel's return value: the negative errno, e.g. -2 for ENOENT. */
  readonly code: number;
  /** The map's name ('(unnamed)' when it has none). */
  readonly map: string;
  /** The bpf(2) command or helper that failed, e.g. 'BPF_MAP_UPDATE_ELEM', 'bpf_map_lookup_elem'. */
  readonly op: string;

  constructor(map: string, op: string, code: number, hint: string) {
    const errno = errnoName(code);
    super(`${op} on map '${map}' failed with ${errno} (${STRERROR[errno]}): ${hint}`);
    this.errno = errno;
    this.code = -Math.abs(code);
    this.map = map;
    this.op = op;
  }
}
