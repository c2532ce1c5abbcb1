// The loader's one error class. Every malformed or unsupported object ends in an ObjectError (never
// a RangeError/TypeError from a typed array, never a hang), so a caller can catch one class and
// show one message that says where the problem is and what to do about it.

export interface ObjectErrorWhere {
  /** The ELF section the problem is in (a program's SEC() name, '.maps', '.BTF', ...). */
  section?: string;
  /** The instruction index inside that section (or inside a linked program), when there is one. */
  insn?: number;
  /** What to do about it; appended to the message. */
  hint?: string;
}

export class ObjectError extends Error {
  override readonly name = 'ObjectError';
  /** The object's name (libbpf's: file basename up to its first '.'), when known. */
  readonly object: string | undefined;
  readonly section: string | undefined;
  readonly insn: number | undefined;
  /** What is wrong or unsupported, without the location and the hint. */
  readonly reason: string;
  readonly hint: string | undefined;

  constructor(reason: string, where: ObjectErrorWhere = {}, object?: string) {
    super(formatMessage(object, reason, where));
    this.object = object;
    this.section = where.section;
    this.insn = where.insn;
    this.reason = reason;
    this.hint = where.hint;
  }

  /** The same error with the object's name filled in (parsers below openObject do not know it). */
  inObject(object: string): ObjectError {
    if (this.object !== undefined) return this;
    const e = new ObjectError(this.reason, { section: this.section, insn: this.insn, hint: this.hint }, object);
    e.stack = this.stack?.replace(this.message, e.message);
    return e;
  }
}

function formatMessage(object: string | undefined, reason: string, where: ObjectErrorWhere): string {
  const place: string[] = [];
  if (object !== undefined) place.push(`object '${object}'`);
  if (where.section !== undefined) place.push(`section '${where.section}'`);
  if (where.insn !== undefined) place.push(`instruction ${where.insn}`);
  const head = place.length > 0 ? `${place.join(', ')}: ` : '';
  return `${head}${reason}${where.hint !== undefined ? `; ${where.hint}` : ''}`;
}

/** Throws an ObjectError; a function so `cond || fail(...)` reads as a check. */
export function fail(reason: string, where?: ObjectErrorWhere): never {
  throw new ObjectError(reason, where);
}
