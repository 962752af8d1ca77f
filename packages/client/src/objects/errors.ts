import { WeftError } from '@weft/protocol'

/** The object does not exist (never written, or deleted). */
export class NotFoundError extends WeftError {
  static override readonly code = 'ERR_NOT_FOUND'
  readonly bucket: string
  readonly key: string

  constructor (bucket: string, key: string) {
    super(`object ${bucket}/${key} does not exist`)
    this.bucket = bucket
    this.key = key
  }
}
