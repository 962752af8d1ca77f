#!/usr/bin/env -S node --initial-heap-size=128
// the flags after `node` are NODE_PROCESS_V8_FLAGS of @weft/node (a test checks they match): every weft process, nodes above all, starts with them
import '@weft/protocol/polyfill'
import { main } from './main.js'

// exit explicitly: a library's idle timer or socket must not keep a finished command alive
main(process.argv).then(code => {
  process.exit(code)
}, (err: unknown) => {
  console.error(`weft: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
