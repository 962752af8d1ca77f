import '@weft/protocol/polyfill'

/**
 * @weft/client: the embeddable weft client.
 */
export {}
