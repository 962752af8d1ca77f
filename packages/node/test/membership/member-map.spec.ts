import assert from 'node:assert/strict'
import { MemberMap } from '../../src/membership/member-map.js'
import { Clock, peer } from './fixtures.js'
import type { MemberEventName } from '../../src/membership/member-map.js'

const timings = { suspectAfterMs: 1000, downAfterMs: 2000, outAfterMs: 4000, forgetAfterMs: 8000 }

async function setup (maxMembers = 16): Promise<{ map: MemberMap, clock: Clock, events: Array<[MemberEventName, string]>, self: Awaited<ReturnType<typeof peer>> }> {
  const clock = new Clock()
  const self = await peer()
  const events: Array<[MemberEventName, string]> = []
  const map = new MemberMap({ selfId: self.id, timings, maxMembers, now: clock.now, emit: (name, m) => { events.push([name, m.peerId]) } })
  map.setSelf(await self.sign())
  return { map, clock, events, self }
}

describe('MemberMap', () => {
  it('walks a silent member through suspect, down and out, with events and placement states', async () => {
    const { map, clock, events } = await setup()
    const a = await peer()
    assert.equal(map.ingest(await a.sign(), { direct: { seq: 1, beat: 0 } }), 'added')
    assert.deepEqual(events, [['member:joined', a.id]])
    const v0 = map.getMap().version
    const states: string[] = []
    for (const step of [999, 1, 1000, 2000]) {
      clock.advance(step)
      map.evaluate()
      states.push(`${map.member(a.id)?.liveness}/${map.getMap().nodes.find(n => n.peerId === a.id)?.state}`)
    }
    assert.deepEqual(states, ['up/up', 'suspect/up', 'down/down', 'out/out'])
    assert.deepEqual(events.map(e => e[0]), ['member:joined', 'member:suspect', 'member:down', 'member:out'])
    // suspect does not change placement's view; down and out do
    assert.equal(map.getMap().version, v0 + 2)
    // a heartbeat brings it back
    map.heard(a.id, 1, 1)
    assert.equal(map.member(a.id)?.liveness, 'up')
    assert.equal(events.at(-1)?.[0], 'member:joined')
    clock.advance(1500)
    map.evaluate()
    map.heard(a.id, 1, 2)
    assert.equal(events.at(-1)?.[0], 'member:updated', 'suspect -> up is an update')
  })

  it('a leaving record makes the member left at once, down for placement, out after outAfter, then forgotten', async () => {
    const { map, clock, events } = await setup()
    const a = await peer()
    map.ingest(await a.sign(), { direct: { seq: 1, beat: 0 } })
    map.ingest(await a.sign({ seq: 2, state: 'leaving' }), { direct: { seq: 2, beat: 1 } })
    assert.equal(map.member(a.id)?.liveness, 'left')
    assert.equal(events.at(-1)?.[0], 'member:left')
    assert.equal(map.getMap().nodes.find(n => n.peerId === a.id)?.state, 'down')
    clock.advance(4000)
    map.evaluate()
    assert.equal(map.member(a.id)?.liveness, 'out')
    clock.advance(4000)
    map.forgetOld()
    assert.equal(map.member(a.id), undefined)
    assert.equal(map.getMap().nodes.length, 1)
  })

  it('takes liveness hints from relays, and does not resurrect long-gone members', async () => {
    const { map, events } = await setup()
    const a = await peer()
    const b = await peer()
    map.ingest(await a.sign(), { ageMs: 2500 })
    assert.equal(map.member(a.id)?.liveness, 'down', 'learned as down: heard of 2.5 s ago')
    assert.deepEqual(events, [], 'no event for a member first seen dead')
    map.heardOf(a.id, 10)
    assert.equal(map.member(a.id)?.liveness, 'up')
    assert.equal(map.ingest(await b.sign(), { ageMs: 9000 }), 'stale')
    assert.equal(map.member(b.id), undefined)
  })

  it('ignores replayed messages as signs of life and records of itself', async () => {
    const { map, clock, self } = await setup()
    let seen = 0
    const m2 = new MemberMap({ selfId: self.id, timings, maxMembers: 4, now: clock.now, emit: () => {}, onOwnRecordSeen: (s) => { seen = s } })
    m2.setSelf(await self.sign({ seq: 3 }))
    assert.equal(m2.ingest(await self.sign({ seq: 9 }), { ageMs: 0 }), 'stale')
    assert.equal(seen, 9)
    const a = await peer()
    const r = await a.sign()
    map.ingest(r, { direct: { seq: 1, beat: 5 } })
    clock.advance(1500)
    assert.equal(map.liveness.isFresh(a.id, 1, 5), false)
    map.ingest(r, { direct: { seq: 1, beat: 5 } }) // replay
    map.evaluate()
    assert.equal(map.member(a.id)?.liveness, 'suspect')
  })

  it('is bounded by maxMembers, evicting out members first', async () => {
    const { map, clock } = await setup(2)
    const [a, b, c] = await Promise.all([peer(), peer(), peer()])
    map.ingest(await a.sign(), { direct: { seq: 1, beat: 0 } })
    map.ingest(await b.sign(), { direct: { seq: 1, beat: 0 } })
    assert.equal(map.ingest(await c.sign(), { direct: { seq: 1, beat: 0 } }), 'full')
    clock.advance(4000)
    map.heard(b.id)
    map.evaluate()
    assert.equal(map.member(a.id)?.liveness, 'out')
    assert.equal(map.ingest(await c.sign(), { direct: { seq: 1, beat: 0 } }), 'added')
    assert.equal(map.member(a.id), undefined)
    assert.equal(map.size, 3)
  })

  it('exposes an immutable placement map sorted by peer id, with draining', async () => {
    const { map, self } = await setup()
    const a = await peer()
    map.ingest(await a.sign({ state: 'draining', weight: 7, zone: 'x/y' }), { direct: { seq: 1, beat: 0 } })
    const m = map.getMap()
    assert.ok(Object.isFrozen(m) && Object.isFrozen(m.nodes) && Object.isFrozen(m.nodes[0]))
    assert.deepEqual(m.nodes.map(n => n.peerId), [a.id, self.id].sort())
    assert.deepEqual(m.nodes.find(n => n.peerId === a.id), { peerId: a.id, weight: 7, zone: 'x/y', state: 'draining' })
    assert.equal(map.getMap(), m, 'unchanged map is the same snapshot')
  })
})
