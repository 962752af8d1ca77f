/**
 * Writes test-vectors/placement-v1.json from this implementation:
 * `npx tsc -b packages/placement && node packages/placement/dist/test/generate-vectors.js`.
 * The file is a compatibility contract: regenerate only for a deliberate,
 * versioned change of the algorithm.
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { buildVectors } from './vectors.js'

const file = fileURLToPath(new URL('../../test-vectors/placement-v1.json', import.meta.url))
await writeFile(file, JSON.stringify(buildVectors(), null, 1) + '\n')
console.log(`wrote ${file}`)
