import assert from 'node:assert/strict'
import { majority, quorum } from '../../src/refs/quorum.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('quorum rounds', () => {
  it('majority is floor(r / 2) + 1', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 16].map(majority), [1, 2, 2, 3, 3, 9])
  })

  it('resolves at a majority while slower replicas keep going, and reports them in done', async () => {
    const asked: string[] = []
    const round = await quorum({
      replicas: ['a', 'b', 'c'],
      fallbacks: ['d'],
      need: 2,
      what: 'test',
      ask: async (peer) => {
        asked.push(peer)
        await sleep(peer === 'c' ? 100 : 5)
        return peer.toUpperCase()
      }
    })
    assert.deepEqual(round.answers.map(a => a.value).sort(), ['A', 'B'])
    const all = await round.done
    assert.deepEqual(all.answers.map(a => a.value).sort(), ['A', 'B', 'C'])
    assert.deepEqual(asked, ['a', 'b', 'c'], 'no hand-off when nobody failed')
  })

  it('hands a failed replica off to the next fallback, in order', async () => {
    const round = await quorum({
      replicas: ['a', 'b', 'c'],
      fallbacks: ['d', 'e'],
      need: 2,
      what: 'test',
      ask: async (peer) => {
        if (peer === 'a' || peer === 'b') throw Object.assign(new Error(`${peer} down`), { code: 'ERR_PEER_UNREACHABLE' })
        return peer
      }
    })
    assert.deepEqual(round.answers.map(a => [a.value, a.handedOff]).sort(), [['c', false], ['d', true]])
    const all = await round.done
    assert.deepEqual(all.answers.map(a => a.value).sort(), ['c', 'd', 'e'])
    assert.deepEqual(all.failures.map(f => [f.peer, f.code]), [['a', 'ERR_PEER_UNREACHABLE'], ['b', 'ERR_PEER_UNREACHABLE']])
  })

  it('waits for a slow home replica rather than let a stand-in\'s empty answer complete the majority', async () => {
    const decisive = (a: { value: string | undefined, handedOff: boolean }): boolean => !a.handedOff || a.value !== undefined
    // home replicas: a (slow, holds the record), b (missed the write), c (fails at once, so d stands in; d never saw the write)
    const round = await quorum<string | undefined>({
      replicas: ['a', 'b', 'c'],
      fallbacks: ['d'],
      need: 2,
      what: 'test',
      decisive,
      ask: async (peer) => {
        if (peer === 'c') throw Object.assign(new Error('c down'), { code: 'ERR_PEER_UNREACHABLE' })
        await sleep(peer === 'a' ? 60 : 1)
        return peer === 'a' ? 'A' : undefined
      }
    })
    assert.ok(round.answers.some(a => a.value === 'A'), 'the home replica that holds it was waited for')
    // with every request ended, non-decisive answers still count
    const ended = await quorum<string | undefined>({ replicas: ['b'], fallbacks: ['d'], need: 2, what: 'test', decisive, ask: async () => undefined })
    assert.equal(ended.answers.length, 2)
  })

  it('starts stand-ins at once for replicas the caller left out as down', async () => {
    const asked: string[] = []
    const round = await quorum({
      replicas: ['a'],
      fallbacks: ['d', 'e'],
      need: 2,
      what: 'test',
      ask: async (peer) => { asked.push(peer); return peer }
    })
    assert.deepEqual(round.answers.map(a => [a.value, a.handedOff]).sort(), [['a', false], ['d', true]])
    await round.done
    assert.deepEqual(asked, ['a', 'd'], 'one stand-in for the one missing answer, no more')
  })

  it('fails with ERR_QUORUM once every replica and fallback has been tried', async () => {
    const tried: string[] = []
    await assert.rejects(quorum({
      replicas: ['a', 'b', 'c'],
      fallbacks: ['d'],
      need: 2,
      what: 'write of x/y',
      ask: async (peer) => {
        tried.push(peer)
        if (peer !== 'c') throw new Error('no')
        return 1
      }
    }), (err: Error & { code?: string, needed?: number, answered?: number, failures?: unknown[] }) => {
      assert.equal(err.code, 'ERR_QUORUM')
      assert.equal(err.needed, 2)
      assert.equal(err.answered, 1)
      assert.equal(err.failures?.length, 3)
      assert.match(err.message, /write of x\/y/)
      return true
    })
    assert.deepEqual(tried.sort(), ['a', 'b', 'c', 'd'])
  })
})
