/**
 * Turns what libraries and the OS throw into one line that says what is
 * wrong and what to do. Only the CLI knows which flag a value came from, so
 * callers pass hints; anything not recognised keeps its own message (and
 * its `ERR_*` code, which formatError prints).
 */
import { CliError } from './errors.js'

export interface ExplainHints {
  /** data dir of the node being started */
  dataDir?: string
  /** flag the listen addresses came from */
  listenFlag?: string
}

/** A listen address that failed: `EADDRINUSE ... 127.0.0.1:4001` inside libp2p's aggregate message. */
function listenFailure (message: string): { code: string, address: string } | undefined {
  const match = /(EADDRINUSE|EADDRNOTAVAIL|EACCES)[^\n]*?\s(\[?[0-9a-fA-F:.]+\]?:\d+)/.exec(message)
  if (match == null) return undefined
  return { code: match[1] ?? '', address: match[2] ?? '' }
}

export function portInUse (address: string, flag: string): CliError {
  return new CliError(`port ${address} is in use: pick another with ${flag} (or stop what holds it)`)
}

export function explainNodeError (err: unknown, hints: ExplainHints = {}): unknown {
  if (!(err instanceof Error)) return err
  const e = err as Error & { code?: unknown, cause?: unknown }
  const listenFlag = hints.listenFlag ?? '--listen'
  if (e.name === 'UnsupportedListenAddressesError') {
    const failure = listenFailure(e.message)
    if (failure?.code === 'EADDRINUSE') return portInUse(failure.address, listenFlag)
    if (failure?.code === 'EADDRNOTAVAIL') return new CliError(`cannot listen on ${failure.address}: this machine has no such address; fix ${listenFlag}`, undefined, { cause: err })
    if (failure?.code === 'EACCES') return new CliError(`cannot listen on ${failure.address}: ports below 1024 need privileges; pick a higher port with ${listenFlag}`, undefined, { cause: err })
    return new CliError(`cannot listen on the addresses given: check ${listenFlag}`, undefined, { cause: err })
  }
  if (e.name === 'InvalidMultiaddrError') {
    return new CliError(`not a multiaddr: ${e.message} (expected e.g. /ip4/10.0.0.5/tcp/4001/p2p/12D3KooW...)`, 2, { cause: err })
  }
  const cause = e.cause as { code?: unknown } | undefined
  if (e.code === 'LEVEL_DATABASE_NOT_OPEN' && cause?.code === 'LEVEL_LOCKED') {
    const dir = hints.dataDir != null ? `data dir ${hints.dataDir}` : 'the data dir'
    return new CliError(`${dir} is in use by another weft node: stop that one first, or give this one its own --data`, undefined, { cause: err })
  }
  if (e.code === 'ERR_INVALID_RECORD' && /zone/.test(e.message)) {
    return new CliError(`--zone: ${e.message} (a zone is region/dc/rack/host of letters, digits, . _ : -)`, 2, { cause: err })
  }
  if (e.code === 'ERR_INVALID_PEER_KEY') {
    return new CliError(`${hints.dataDir ?? 'the data dir'}/peer.key is not a usable node identity: restore it from a backup, or move it away to start as a new peer`, undefined, { cause: err })
  }
  if (e.code === 'ERR_CORRUPT_STATE') {
    return new CliError(`${e.message}: the data dir ${hints.dataDir ?? ''} is damaged; restore it from a backup`, undefined, { cause: err })
  }
  if (e.code === 'ENOTDIR' || e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOSPC') {
    return new CliError(`cannot use data dir ${hints.dataDir ?? ''}: ${e.message}`, undefined, { cause: err })
  }
  return err
}
