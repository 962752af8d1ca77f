/**
 * Errors that cross process boundaries carry a stable `code`; tests and
 * remote peers match on it, never on message text.
 */
export class WeftError extends Error {
  static readonly code: string = 'ERR_WEFT'
  readonly code: string

  constructor (message: string, code?: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code ?? (new.target as unknown as { code: string }).code
  }
}
