/** `BUCKET/KEY` and `BUCKET[/PREFIX]` arguments, checked before anything connects. */
import { UsageError } from '../errors.js'

export interface ObjectTarget {
  bucket: string
  key: string
}

async function names (): Promise<{ validateBucketName: (name: unknown) => void, validateKey: (key: unknown) => void }> {
  return import('@weft/protocol')
}

function split (text: string): { bucket: string, rest: string | undefined } {
  const slash = text.indexOf('/')
  return slash === -1 ? { bucket: text, rest: undefined } : { bucket: text.slice(0, slash), rest: text.slice(slash + 1) }
}

/** Bad names are usage errors (exit 2) with the protocol's own explanation. */
async function check (fn: () => void): Promise<void> {
  try {
    fn()
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

export async function parseBucket (text: string): Promise<string> {
  const { validateBucketName } = await names()
  await check(() => { validateBucketName(text) })
  return text
}

export async function parseObjectTarget (text: string): Promise<ObjectTarget> {
  const { bucket, rest } = split(text)
  if (rest == null || rest === '') throw new UsageError(`"${text}" names no object: write BUCKET/KEY, e.g. demo/data/part-0001.parquet`)
  const { validateBucketName, validateKey } = await names()
  await check(() => { validateBucketName(bucket) })
  await check(() => { validateKey(rest) })
  return { bucket, key: rest }
}

export async function parseListTarget (text: string): Promise<{ bucket: string, prefix?: string }> {
  const { bucket, rest } = split(text)
  await parseBucket(bucket)
  return { bucket, prefix: rest === '' ? undefined : rest }
}
