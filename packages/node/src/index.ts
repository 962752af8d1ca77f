import '@weft/protocol/polyfill'

/**
 * @weft/node: the weft storage daemon as a library.
 */
export {}
