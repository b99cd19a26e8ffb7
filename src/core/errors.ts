/** Where a user-facing problem lives, so the message can name it. */
export interface ErrorSubject {
  file?: string;
  tensor?: string;
  node?: string;
  /** What the user can do about it. */
  hint?: string;
}

/**
 * A problem with the user's input (files, models, flags, caches). The CLI prints
 * `message`, the subject and the hint, and exits with a non-zero code.
 */
export class Int8calError extends Error {
  override readonly name = 'Int8calError';
  constructor(
    /** Stable machine-readable code, e.g. `IMAGE_DECODE`, `MODEL_LOAD`. */
    readonly code: string,
    message: string,
    readonly subject: ErrorSubject = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Message with the subject and hint, as the CLI shows it. */
  describe(): string {
    const where = [
      this.subject.file && `file: ${this.subject.file}`,
      this.subject.tensor && `tensor: ${this.subject.tensor}`,
      this.subject.node && `node: ${this.subject.node}`,
    ].filter(Boolean);
    const lines = [this.message];
    if (where.length) lines.push(`  (${where.join(', ')})`);
    if (this.subject.hint) lines.push(`  hint: ${this.subject.hint}`);
    return lines.join('\n');
  }
}

/** A bug in int8cal itself: an invariant that should never break. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message} (this is a bug in int8cal; please report it)`, options);
  }
}

/** Sharp-style parameter error: names the parameter, what was expected and what was received. */
export function invalidParameter(name: string, expected: string, actual: unknown): Int8calError {
  const shown = typeof actual === 'string' ? JSON.stringify(actual) : String(actual);
  return new Int8calError(
    'INVALID_PARAMETER',
    `Expected ${expected} for ${name} but received ${shown} of type ${typeof actual}`,
  );
}
