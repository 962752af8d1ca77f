# An independent implementation of README "Algorithm (normative)", written from
# the README alone, that checks every hash, key, ranking, replica set and
# fallback in placement-v1.json: python3 test-vectors/reference.py test-vectors/placement-v1.json
# (Python floats are IEEE-754 doubles without fused multiply-add.)
import hashlib, json, struct, sys
M = 0xffffffff
def fmix32(h):
    h ^= h >> 16; h = (h * 0x85ebca6b) & M; h ^= h >> 13; h = (h * 0xc2b2ae35) & M; h ^= h >> 16; return h
def seed(pid):
    d = hashlib.sha256(pid.encode('utf-8')).digest(); return struct.unpack('>II', d[:8])
def hash52(s0, s1, p):
    a = fmix32(s0 ^ p)
    b = fmix32(((s1 ^ ((p * 0x9e3779b9) & M)) + a) & M)
    c = fmix32(a ^ b)
    return (c >> 12) * 2**32 + b
C = [1/19, 1/17, 1/15, 1/13, 1/11, 1/9, 1/7, 1/5, 1/3, 1.0]
def ln_u(x):
    k = x.bit_length() - 1  # -1 for 0
    m = (x + 0.5) * (2.0 ** -k)
    if m > 1.4142135623730951: m = m * 0.5; k += 1
    s = (m - 1) / (m + 1); z = s * s; q = 1/21
    for c in C: q = q * z + c
    return (k - 52) * 0.6931471805599453 + (2 * s) * q
def key(pid, w, p):
    s0, s1 = seed(pid); return ln_u(hash52(s0, s1, p)) / w
def segs(zone):
    s = zone.split('/')[:4]; return s + [''] * (4 - len(s))
DEPTH = {'zone': 2, 'rack': 3, 'host': 4}
def allowed(zone, prefixes):
    ps = [p.rstrip('/') for p in (prefixes or [])]
    if not ps or '' in ps: return True
    z = zone.split('/')
    return any(all((z[i] if i < len(z) else '') == seg for i, seg in enumerate(p.split('/'))) for p in ps)
def utf16key(s): return s.encode('utf-16-be')
def ranking(nodes, p):
    return sorted(nodes, key=lambda n: (-key(n['peerId'], n['weight'], p), utf16key(n['peerId'])))
def replica_set(nodes, pol, p):
    r = pol['replicas']; lvl = DEPTH[pol['spread']]
    el = [n for n in ranking(nodes, p) if n['state'] == 'up' and allowed(n['zone'], pol.get('allowedZones'))]
    if len(el) < r: return 'ERR_POLICY_UNSATISFIABLE', None, None
    dom = lambda n: tuple(segs(n['zone'])[:lvl])
    D = len({dom(n) for n in el})
    if D >= r:
        out, taken = [], set()
        for n in el:
            if dom(n) in taken: continue
            taken.add(dom(n)); out.append(n)
            if len(out) == r: break
        deg = False
    else:
        cnt = {}; keyed = []
        for i, n in enumerate(el):
            d = cnt.get(dom(n), 0); cnt[dom(n)] = d + 1; keyed.append((d, i, n))
        out = [n for _, _, n in sorted(keyed, key=lambda t: (t[0], t[1]))[:r]]
        deg = True
    ids = [n['peerId'] for n in out]
    return ids, deg, [n['peerId'] for n in el if n['peerId'] not in ids]
v = json.load(open(sys.argv[1]))
bits = v['partitionBits']
for d in v['digests']:
    assert int.from_bytes(bytes.fromhex(d['digest'])[:4], 'big') >> (32 - bits) == d['partition']
for r in v['refs']:
    dg = hashlib.sha256(('ref\0' + r['bucket'] + '\0' + r['key']).encode('utf-8')).digest()
    assert int.from_bytes(dg[:4], 'big') >> (32 - bits) == r['partition'], r
n = 0
for k in v['keys']:
    s0, s1 = seed(k['peerId']); x = hash52(s0, s1, k['partition'])
    assert x == k['hash'] and ln_u(x) == k['lnU'] and ln_u(x) / k['weight'] == k['key'], (k, x, ln_u(x)); n += 1
for m in v['maps']:
    nodes = m['map']['nodes']
    for pc in m['partitions']:
        assert [x['peerId'] for x in ranking(nodes, pc['partition'])] == pc['ranking']; n += 1
        for sc in pc['sets']:
            ids, deg, fb = replica_set(nodes, sc['policy'], pc['partition'])
            if 'error' in sc: assert ids == sc['error']
            else: assert ids == sc['nodes'] and deg == sc['degraded'] and fb == sc['fallbacks'], (m['name'], pc['partition'], sc, ids, deg)
            n += 1
print('python reference matches all', n, 'vector checks (readers not checked)')
