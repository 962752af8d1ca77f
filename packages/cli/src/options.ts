/** Argument parsers shared by commands; they throw commander's InvalidArgumentError (exit 2). */
import { InvalidArgumentError } from 'commander'
import { parseBytes } from './units.js'

export function sizeArg (text: string): number {
  const bytes = parseBytes(text)
  if (bytes == null || bytes <= 0) throw new InvalidArgumentError(`"${text}" is not a size (e.g. 500GiB, 2TB, 1073741824)`)
  return bytes
}

export function countArg (min: number, max: number): (text: string) => number {
  return (text: string) => {
    const n = Number(text)
    if (!/^\d+$/.test(text) || n < min || n > max) throw new InvalidArgumentError(`"${text}" is not a whole number from ${min} to ${max}`)
    return n
  }
}

/** A multiaddr-looking string; the node checks the rest. */
export function multiaddrArg (text: string): string {
  if (!text.startsWith('/')) throw new InvalidArgumentError(`"${text}" is not a multiaddr (e.g. /ip4/10.0.0.5/tcp/4001/p2p/12D3KooW...)`)
  return text
}

/** For variadic options: validates each value and collects them. */
export function collect (parse: (text: string) => string): (text: string, previous: string[] | undefined) => string[] {
  return (text, previous) => [...(previous ?? []), parse(text)]
}
