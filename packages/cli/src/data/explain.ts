/** The client's typed errors as one line each, with the next step. */
import { CliError } from '../errors.js'

export function explainDataError (err: unknown, what: { bucket?: string, key?: string }): unknown {
  const e = err as { code?: unknown, message?: string } | null
  const code = typeof e?.code === 'string' ? e.code : ''
  const object = what.key != null ? `${what.bucket ?? ''}/${what.key}` : what.bucket ?? ''
  const bucket = what.bucket ?? ''
  switch (code) {
    case 'ERR_NOT_FOUND':
      return new CliError(`no object ${object} (\`weft ls ${bucket}\` shows what is there)`, undefined, { cause: err })
    case 'ERR_NO_SUCH_BUCKET':
      return new CliError(`no bucket ${bucket}: create it with \`weft bucket create ${bucket}\``, undefined, { cause: err })
    case 'ERR_BUCKET_EXISTS':
      return new CliError(`bucket ${bucket} already exists (\`weft bucket ls\` shows its policy)`, undefined, { cause: err })
    case 'ERR_BUCKET_NOT_EMPTY':
      return new CliError(`bucket ${bucket} is not empty: remove its objects first (\`weft ls ${bucket}\`)`, undefined, { cause: err })
    case 'ERR_POLICY_UNSATISFIABLE':
    case 'ERR_INSUFFICIENT_REPLICAS':
    case 'ERR_QUORUM':
      return new CliError(`${e?.message ?? code} (\`weft status\` shows which nodes are up, and in which zones)`, undefined, { cause: err })
    case 'ERR_INVALID_BUCKET_POLICY':
      return new CliError(`${e?.message ?? code}`, 2, { cause: err })
    default:
      return err
  }
}
