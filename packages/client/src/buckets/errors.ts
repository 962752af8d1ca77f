import { WeftError } from '@weft/protocol'

/** Base of the bucket errors: they carry the bucket's name. */
export class BucketError extends WeftError {
  readonly bucket: string

  constructor (bucket: string, message: string) {
    super(message)
    this.bucket = bucket
  }
}

/** createBucket: a live bucket of that name exists (or was created concurrently). */
export class BucketExistsError extends BucketError {
  static override readonly code = 'ERR_BUCKET_EXISTS'
}

/** deleteBucket: the bucket still holds objects; delete them first. */
export class BucketNotEmptyError extends BucketError {
  static override readonly code = 'ERR_BUCKET_NOT_EMPTY'
}

/** No live bucket of that name. */
export class NoSuchBucketError extends BucketError {
  static override readonly code = 'ERR_NO_SUCH_BUCKET'
}
