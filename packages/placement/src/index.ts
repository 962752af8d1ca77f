/**
 * @weft/placement: pure placement maths. No I/O, no clock, no libp2p.
 */
export type * from './types.js'
