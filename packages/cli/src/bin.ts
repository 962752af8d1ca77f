#!/usr/bin/env node
import '@weft/protocol/polyfill'
import { main } from './main.js'

main(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exitCode = 1
})
