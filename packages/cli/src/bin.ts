#!/usr/bin/env node
import '@weft/protocol/polyfill'
import { main } from './main.js'

// exit explicitly: a library's idle timer or socket must not keep a finished command alive
main(process.argv).then(code => {
  process.exit(code)
}, (err: unknown) => {
  console.error(`weft: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
