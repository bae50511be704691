/**
 * Lua scripts of the Redis correlation state (STATE.md). A root's member set `r:{id}:m` is a hash
 * with empty values (HSET/HKEYS/HLEN), not a set: Redis 7.0 keeps a small set of strings as a
 * hashtable (~225 bytes for one member) but a small hash as a listpack (~90). Each script touches the keys of ONE hash
 * tag only — one event/root (`{eventId}`), one join key (`{joinKey}`) or one bucket — so it runs on
 * a single slot of a Redis Cluster. Every script is idempotent or a compare-and-set; the linking
 * rules themselves stay in the TypeScript domain code, the scripts only store and compare.
 */

/**
 * The stored layout's version, kept in the watermark hash as `~layout`. Bump it with every change of
 * what is stored where (field names, key names, member encodings, bucket counts): an instance refuses
 * to start on a prefix that holds another layout (`RedisCorrelationState.prepare`). Versions before
 * session 10 did not record one.
 */
export const LAYOUT = '10';
export const LAYOUT_FIELD = '~layout';

/**
 * Field names of the event hash `e:{id}` (the event, its union-find parent, a root's info, a settled
 * event's incident), one or two characters each. Every live event has such a hash and a root carries
 * its info in it: with the readable names (`observedAt`, `fingerprint`, `settledEmitted`, …) the
 * names alone were ~50 of the hash's ~150 listpack bytes (session 10). The scripts below spell the
 * short names out (redis-scripts.test.ts checks that they are these and that no long name is left);
 * the client maps a root's info back to the long ones. The payload parts are `v`, `v2`, `v3`, …
 * (EVENT_PARTS).
 */
export const FIELD = {
  observedAt: 't',
  parent: 'p',
  event: 'v',
  incident: 'i',
  lastSeen: 'l',
  dirtyFirst: 'df',
  dirtyLast: 'dl',
  status: 's',
  final: 'f',
  lateLink: 'll',
  version: 'n',
  fingerprint: 'h',
  pending: 'pn',
  settledEmitted: 'se',
} as const;

export interface ScriptDef {
  readonly numberOfKeys: number;
  readonly lua: string;
}

/**
 * An IP occurrence is ONE member of the key's time index \`k:{key}:t\` (score: the event's
 * observedAt): \`<id> NUL <state><count> NUL <occurrence>\`, where state is one character
 * (\`p\`ending, \`e\`ligible, \`h\`ot), count the distinct identities a hot decision counted (empty
 * otherwise) and occurrence the stored-codec text. An identity occurrence is the bare id (identities
 * link on the time index alone). Event ids never contain NUL (the stage refuses them), so the first
 * NUL ends the id; the occurrence, which holds attacker-controlled identities, is the tail and may
 * contain anything. An event's observedAt never changes (later versions keep the first's), so a
 * member is found by its id at that score. Until session 10 the occurrences were fields of a second
 * key, \`k:{key}:o\` (one more key per IP, ~120 bytes).
 *
 * Lua snippet: parse / find / write a member; \`range\` appends \`id, score, occurrence, state\` for every
 * member of KEYS[1] in [from, to].
 */
const OCCURRENCE = `
local function parseMember(m)
  local a = string.find(m, '\\0', 1, true)
  if not a then return m, '', '' end
  local b = string.find(m, '\\0', a + 1, true)
  return string.sub(m, 1, a - 1), string.sub(m, a + 1, b - 1), string.sub(m, b + 1)
end
local function findMember(key, at, id)
  local head = id .. '\\0'
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, at, at)) do
    if string.sub(m, 1, #head) == head then return m end
  end
  return false
end
-- Writes the member, replacing \`old\` (or nothing when false). The new one is added before the old
-- one goes, so the key never becomes empty on the way (Redis would delete it, and its TTL with it).
local function putMember(key, at, id, decision, occurrence, old)
  local m = id .. '\\0' .. decision .. '\\0' .. occurrence
  if m == old then return end
  redis.call('ZADD', key, at, m)
  if old then redis.call('ZREM', key, old) end
end
`;
const RANGE = `${OCCURRENCE}
local function range(out, from, to)
  local ms = redis.call('ZRANGEBYSCORE', KEYS[1], from, to, 'WITHSCORES')
  for i = 1, #ms, 2 do
    local id, decision, occurrence = parseMember(ms[i])
    out[#out + 1] = id
    out[#out + 1] = ms[i + 1]
    out[#out + 1] = occurrence
    out[#out + 1] = string.sub(decision, 1, 1)
  end
  return out
end
`;

/**
 * Lua snippet: the event payload of `e:{id}` is stored in parts of at most 64 bytes (`event`,
 * `event2`, `event3`, …): Redis keeps a hash as a compact listpack only while every value is at most
 * `hash-max-listpack-value` (64 by default), and one longer value turns the whole hash into a
 * hashtable (~384 instead of ~240 bytes for a typical event). Parts are byte slices; only the
 * scripts see them.
 */
const EVENT_PARTS = `
local function getEvent(key)
  local p = redis.call('HMGET', key, 'v', 'v2', 'v3')
  if not p[1] then return false end
  if not p[2] then return p[1] end
  local parts = {p[1], p[2]}
  if p[3] then
    parts[3] = p[3]
    local i = 4
    while true do
      local more = redis.call('HGET', key, 'v' .. i)
      if not more then break end
      parts[i] = more
      i = i + 1
    end
  end
  return table.concat(parts)
end
local function dropEventParts(key, from)
  local i = from
  while redis.call('HDEL', key, 'v' .. i) == 1 do i = i + 1 end
end
local function setEvent(key, json)
  local n = math.max(1, math.ceil(#json / 64))
  local args = {}
  for i = 1, n do
    args[#args + 1] = i == 1 and 'v' or ('v' .. i)
    args[#args + 1] = string.sub(json, (i - 1) * 64 + 1, i * 64)
  end
  redis.call('HSET', key, unpack(args))
  dropEventParts(key, n + 1)
end
local function delEvent(key)
  redis.call('HDEL', key, 'v')
  dropEventParts(key, 2)
end
`;

/**
 * Lua snippet: an event's union-find parent. A root is its own parent, stored as \`=\` rather than as
 * a copy of its id: most live events are roots, and an id is up to ~150 bytes (a CloudTrail id is 47;
 * with one copy fewer the event hash of a CloudTrail event is ~96 bytes smaller). Everything that
 * reads the field goes through getParent (which knows the node's id) and returns real ids.
 */
const PARENT = `
local function realParent(p, id)
  if p == '=' then return id end
  return p
end
local function getParent(key, id)
  return realParent(redis.call('HGET', key, 'p'), id)
end
`;

/**
 * Lua snippet: a root's members. A singleton root stores no member set (one key fewer per live
 * event): it is its only member while its event still has a parent; `r:{id}:m` exists from its
 * first union on (seamAbsorb adds the winner itself first). After the settle the event is forgotten
 * (no parent) and the set deleted: no members.
 */
const MEMBERS = `
local function members(e, rm, id)
  local m = redis.call('HKEYS', rm)
  if #m == 0 and redis.call('HGET', e, 'p') then return {id} end
  return m
end
`;

/**
 * Lua snippet: a root's info lives in its event hash `e:{id}` (fields that the event itself never
 * uses), not in a key of its own: one key fewer per live incident (~130 bytes with its TTL entry).
 * "Root info" is these fields; the scripts read, test and drop them as a group.
 */
const ROOT = `
local ROOT_FIELDS = {'l', 'df', 'dl', 's', 'f', 'll', 'n', 'h', 'pn', 'se'}
local function rootInfo(key)
  local v = redis.call('HMGET', key, unpack(ROOT_FIELDS))
  local out = {}
  for i, name in ipairs(ROOT_FIELDS) do
    if v[i] then out[#out + 1] = name; out[#out + 1] = v[i] end
  end
  return out
end
local function hasRootInfo(key)
  for _, value in ipairs(redis.call('HMGET', key, unpack(ROOT_FIELDS))) do
    if value then return true end
  end
  return false
end
local function dropRootInfo(key)
  local big = redis.call('HEXISTS', key, 'f') == 1
  redis.call('HDEL', key, unpack(ROOT_FIELDS))
  if big then
    -- \`final\` (longer than hash-max-listpack-value) may have turned the hash into a hashtable, and
    -- Redis never turns one back: what is left (the dedup record) is written anew, TTL kept.
    local rest = redis.call('HGETALL', key)
    if #rest > 0 then
      local ttl = redis.call('PTTL', key)
      redis.call('DEL', key)
      redis.call('HSET', key, unpack(rest))
      if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
    end
  end
end
`;

/**
 * Lua snippet (with EVENT_PARTS): returns an existing event's record from the script. An event exists
 * while its hash has `observedAt` (after its dedup record went, it may still hold a settled root's info).
 */
const EXISTS = `${EVENT_PARTS}${PARENT}
if redis.call('HEXISTS', KEYS[1], 't') == 1 then
  local f = redis.call('HMGET', KEYS[1], 't', 'i', 'p')
  return {'exists', f[1] or '', getEvent(KEYS[1]) or '', f[2] or '', realParent(f[3], ARGV[1]) or ''}
end
`;

/**
 * Lua snippet: the acknowledgement rules shared by seamAck and an acknowledged seamEmit. A settled
 * root's state goes only once its settled version is out, nothing is pending and no tombstone is
 * left (the ack of an earlier open version that arrives after the settle must not delete it).
 */
const ACK = `${ROOT}
local function releasePending(ri, version)
  if redis.call('HGET', ri, 'pn') == version then redis.call('HDEL', ri, 'pn') end
end
local function dropIfDone(ri, ra, rt)
  if redis.call('HGET', ri, 'se') == '1' and not redis.call('HGET', ri, 'pn') and redis.call('HLEN', rt) == 0 then
    dropRootInfo(ri)
    redis.call('DEL', ra, rt)
  end
end
`;

export const SCRIPTS = {
  /**
   * KEYS e, rm, ri — ARGV id, observedAt, eventJson, ttl, now. New event = new singleton root whose
   * debounce starts now (what seamTouch would record), so it is due at now + debounce. Its member
   * set stays implicit (MEMBERS): rm is not created.
   */
  seamCreate: {
    numberOfKeys: 3,
    lua: `${EXISTS}
redis.call('HSET', KEYS[1], 't', ARGV[2], 'p', '=')
setEvent(KEYS[1], ARGV[3])
redis.call('HSET', KEYS[3], 'l', ARGV[2], 'df', ARGV[5], 'dl', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'created'}`,
  },
  /** KEYS e, ri — ARGV id, observedAt, incidentId, finalJson, dedupTtl, ttl. A late event: settled at once. */
  seamCreateLate: {
    numberOfKeys: 2,
    lua: `${EXISTS}
redis.call('HSET', KEYS[1], 't', ARGV[2], 'i', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('HSET', KEYS[2], 's', 'settled', 'f', ARGV[4], 'l', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[6], 'GT')
return {'created'}`,
  },
  /** KEYS e — ARGV expectedJson, nextJson, ttl. CAS of the merged event payload. */
  seamUpdateEvent: {
    numberOfKeys: 1,
    lua: `${EVENT_PARTS}
if getEvent(KEYS[1]) ~= ARGV[1] then return 0 end
setEvent(KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`,
  },
  /**
   * KEYS kt — ARGV id, observedAt, occurrence (stored-codec), kind, ttl. Adds the occurrence (an IP
   * starts `p`ending, never reset: OCCURRENCE); for an identity returns the neighbours in (score,
   * member) order and stores the bare id: identities link on the time index alone (no roles, no
   * hotness).
   */
  seamIndex: {
    numberOfKeys: 1,
    lua: `${OCCURRENCE}
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if ARGV[4] ~= 'identity' then
  -- A re-index (redelivery, a later version of the event) keeps the decision made.
  local cur = findMember(KEYS[1], ARGV[2], ARGV[1])
  local decision = 'p'
  if cur then
    local _, d = parseMember(cur)
    decision = d
  end
  putMember(KEYS[1], ARGV[2], ARGV[1], decision, ARGV[3], cur)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {}
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
local out = {'', '', '', ''}
if rank > 0 then
  local p = redis.call('ZRANGE', KEYS[1], rank - 1, rank - 1, 'WITHSCORES')
  out[1] = p[1]; out[2] = p[2]
end
local n = redis.call('ZRANGE', KEYS[1], rank + 1, rank + 1, 'WITHSCORES')
if n[1] then out[3] = n[1]; out[4] = n[2] end
return out`,
  },
  /** KEYS kt — ARGV from, to. The carriers of a key in an event-time range. */
  seamRange: {
    numberOfKeys: 1,
    lua: `${RANGE}
return range({}, ARGV[1], ARGV[2])`,
  },
  /**
   * KEYS kt — ARGV id, state, from, to, distinct identities, observedAt. Decides an IP occurrence
   * once (p → e|h; a second decision returns the first; a hot one also keeps its distinct-identity
   * count), then returns the state, '1' when this call made the decision ('0' when it was already
   * made: a redo, another instance), and the carriers in [from, to] as they are after it.
   */
  seamDecide: {
    numberOfKeys: 1,
    lua: `${RANGE}
local m = findMember(KEYS[1], ARGV[6], ARGV[1])
if not m then return {'gone'} end
local _, decision, occurrence = parseMember(m)
local cur = string.sub(decision, 1, 1)
local fresh = '0'
if cur == 'p' then
  putMember(KEYS[1], ARGV[6], ARGV[1], ARGV[2] == 'h' and ('h' .. ARGV[5]) or ARGV[2], occurrence, m)
  cur = ARGV[2]
  fresh = '1'
end
return range({cur, fresh}, ARGV[3], ARGV[4])`,
  },
  /** KEYS kt — ARGV id, observedAt. Evicts one occurrence, identity (bare id) or IP (settle). */
  seamEvict: {
    numberOfKeys: 1,
    lua: `${OCCURRENCE}
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  local m = findMember(KEYS[1], ARGV[2], ARGV[1])
  if m then redis.call('ZREM', KEYS[1], m) end
end
return 1`,
  },
  /**
   * KEYS e, rm, ri, ra, rt of the loser — ARGV loser, winner. Union step: only a root gets a parent,
   * and only a smaller one (the client compares); returns the root state to move to the winner. A
   * settled root never gets a parent (`settled`): nothing joins or leaves a settled incident.
   */
  seamLink: {
    numberOfKeys: 5,
    lua: `${PARENT}${MEMBERS}${ROOT}
local p = getParent(KEYS[1], ARGV[1])
if not p then return {'gone'} end
if p ~= ARGV[1] then return {'moved', p} end
if redis.call('HGET', KEYS[3], 's') == 'settled' then return {'settled'} end
local m = members(KEYS[1], KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'p', ARGV[2])
return {'ok', m, rootInfo(KEYS[3]), redis.call('SMEMBERS', KEYS[4]), redis.call('HGETALL', KEYS[5])}`,
  },
  /**
   * Same keys — ARGV id. For a root: its members, its own event and its info (settle); for a node
   * that is no longer a root: the root state left on it (repair of a union that crashed midway).
   */
  seamCollect: {
    numberOfKeys: 5,
    lua: `${EVENT_PARTS}${PARENT}${MEMBERS}${ROOT}
local p = getParent(KEYS[1], ARGV[1])
if p == ARGV[1] then return {'root', members(KEYS[1], KEYS[2], ARGV[1]), getEvent(KEYS[1]) or '', rootInfo(KEYS[3])} end
if not p then return {'gone'} end
return {'ok', members(KEYS[1], KEYS[2], ARGV[1]), rootInfo(KEYS[3]), redis.call('SMEMBERS', KEYS[4]), redis.call('HGETALL', KEYS[5]), p}`,
  },
  /**
   * KEYS e, rm, ri, ra, rt of the winner — ARGV winner, ttl, lastSeen, membersJson, absorbedJson,
   * tombstonesJson ([[incidentId, versionJson]]). Set unions and a max: commutative, idempotent.
   */
  seamAbsorb: {
    numberOfKeys: 5,
    lua: `${PARENT}
local p = getParent(KEYS[1], ARGV[1])
if p ~= ARGV[1] then return {'moved', p or ''} end
if redis.call('HGET', KEYS[3], 's') == 'settled' then return {'settled', ''} end
-- A singleton's member set is implicit (MEMBERS): stored from now on, with the winner itself.
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('HSET', KEYS[2], ARGV[1], '') end
for _, m in ipairs(cjson.decode(ARGV[4])) do redis.call('HSET', KEYS[2], m, '') end
local cur = tonumber(redis.call('HGET', KEYS[3], 'l') or '')
if cur == nil or tonumber(ARGV[3]) > cur then redis.call('HSET', KEYS[3], 'l', ARGV[3]) end
for _, a in ipairs(cjson.decode(ARGV[5])) do redis.call('SADD', KEYS[4], a) end
for _, t in ipairs(cjson.decode(ARGV[6])) do redis.call('HSET', KEYS[5], t[1], t[2]) end
for i = 2, 5 do
  -- KEYS[3] is the event hash (root info): its TTL is only ever extended.
  if i == 3 then redis.call('PEXPIRE', KEYS[i], ARGV[2], 'GT')
  elseif redis.call('EXISTS', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
return {'ok', redis.call('HGET', KEYS[3], 'l')}`,
  },
  /** KEYS e, rm, ri, ra, rt of a former root — ARGV id. Drops the moved root state (never a root's). */
  seamCleanup: {
    numberOfKeys: 5,
    lua: `${PARENT}${ROOT}
if getParent(KEYS[1], ARGV[1]) == ARGV[1] or redis.call('HEXISTS', KEYS[1], 'i') == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[4], KEYS[5])
dropRootInfo(KEYS[3])
return 1`,
  },
  /** KEYS e — ARGV expectedParent, root. Path compression: a pointer only ever moves to a smaller id. */
  seamCompress: {
    numberOfKeys: 1,
    lua: `
if redis.call('HGET', KEYS[1], 'p') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'p', ARGV[2])
return 1`,
  },
  /** KEYS e, ri of a root — ARGV root, now, debounceMs, maxDelayMs, ttl. Trailing debounce bookkeeping. */
  seamTouch: {
    numberOfKeys: 2,
    lua: `${PARENT}
local p = getParent(KEYS[1], ARGV[1])
if p ~= ARGV[1] then return {'moved', p or ''} end
local now = tonumber(ARGV[2])
local first = tonumber(redis.call('HGET', KEYS[2], 'df') or '')
if first == nil then first = now; redis.call('HSET', KEYS[2], 'df', ARGV[2]) end
local last = tonumber(redis.call('HGET', KEYS[2], 'dl') or '')
if last == nil or now > last then last = now; redis.call('HSET', KEYS[2], 'dl', ARGV[2]) end
redis.call('PEXPIRE', KEYS[2], ARGV[5], 'GT')
local debounce = tonumber(ARGV[3])
local due = math.min(last + debounce, first + math.max(tonumber(ARGV[4]), debounce))
return {'ok', string.format('%.0f', due)}`,
  },
  /**
   * KEYS e, ri, ra, rt of a root — ARGV root, fingerprint, status the content was built for, lease
   * ('1' = emission lease on, else ''), acknowledged ('1' = the caller acknowledges at once: with a
   * lease, the script then also does what seamAck does for this version and these tombstones, in
   * the same atomic step). Bumps the version only when the material
   * fingerprint changed; hands out the queued tombstones. `stale` when the incident settled after
   * the content was read. Without a lease the tombstones are dropped (and a settled root's state
   * deleted) at once. With a lease they stay, and `pending` marks the version as not yet
   * acknowledged (seamAck): a re-emission after a crash hands out the same version and tombstones
   * again instead of "unchanged".
   */
  seamEmit: {
    numberOfKeys: 4,
    lua: `${ACK}${PARENT}
local status = redis.call('HGET', KEYS[2], 's')
if not redis.call('HGET', KEYS[2], 'l') then return {'gone', 0, {}} end
if (status or 'open') ~= ARGV[3] then return {'stale', 0, {}} end
if status ~= 'settled' and getParent(KEYS[1], ARGV[1]) ~= ARGV[1] then return {'moved', 0, {}} end
local version = 0
if redis.call('HGET', KEYS[2], 'h') ~= ARGV[2] then
  version = redis.call('HINCRBY', KEYS[2], 'n', 1)
  redis.call('HSET', KEYS[2], 'h', ARGV[2])
elseif ARGV[4] == '1' and redis.call('HGET', KEYS[2], 'pn') then
  version = tonumber(redis.call('HGET', KEYS[2], 'n'))
end
local tombs = redis.call('HVALS', KEYS[4])
redis.call('HDEL', KEYS[2], 'df', 'dl')
if ARGV[4] == '1' then
  if version > 0 then redis.call('HSET', KEYS[2], 'pn', version) end
  -- The settled version is out (now or before): only its ack may delete the root's state.
  if status == 'settled' then redis.call('HSET', KEYS[2], 'se', '1') end
  if ARGV[5] == '1' then
    -- seamAck(version, every tombstone handed out above), in the same step.
    releasePending(KEYS[2], tostring(version))
    redis.call('DEL', KEYS[4])
    dropIfDone(KEYS[2], KEYS[3], KEYS[4])
  end
  return {'ok', version, tombs}
end
redis.call('DEL', KEYS[4])
if status == 'settled' then
  dropRootInfo(KEYS[2])
  redis.call('DEL', KEYS[3])
end
return {'ok', version, tombs}`,
  },
  /**
   * KEYS ri, ra, rt of a root — ARGV version, tombstonesJson ([[incidentId, versionJson]]). The
   * emitted version and tombstones were produced: clears `pending` (if still that version), drops
   * the tombstones unchanged since, and deletes a settled root's state once nothing is pending —
   * only after its settled version went out: the ack of an earlier open version that arrives after
   * the root settled must not delete the state before the final version is emitted.
   */
  seamAck: {
    numberOfKeys: 3,
    lua: `${ACK}
releasePending(KEYS[1], ARGV[1])
for _, t in ipairs(cjson.decode(ARGV[2])) do
  if redis.call('HGET', KEYS[3], t[1]) == t[2] then redis.call('HDEL', KEYS[3], t[1]) end
end
dropIfDone(KEYS[1], KEYS[2], KEYS[3])
return 1`,
  },
  /**
   * KEYS e, rm, ri of a root — ARGV root, finalJson, member count the content was built from.
   * Freezes the content; idempotent. A compare-and-set on the members: `changed` when a union added
   * members since they were read (the client re-reads). From `settled` on, `seamAbsorb` and
   * `seamLink` refuse the root, so the member set is final: nothing can join a settled incident.
   */
  seamSettle: {
    numberOfKeys: 3,
    lua: `${PARENT}${MEMBERS}
if redis.call('HGET', KEYS[3], 's') == 'settled' then return 'already' end
if getParent(KEYS[1], ARGV[1]) ~= ARGV[1] then return 'moved' end
if #members(KEYS[1], KEYS[2], ARGV[1]) ~= tonumber(ARGV[3]) then return 'changed' end
redis.call('HSET', KEYS[3], 's', 'settled', 'f', ARGV[2])
return 'ok'`,
  },
  /**
   * KEYS e, ri of a former root — ARGV id, expected parent. The union's bookkeeping found the winner
   * settled (or gone): the link is undone — the node is a root again, with its own root state (still
   * here: it is dropped only after a successful absorb), flagged lateLink (its members form their
   * own incident, recorded as late). Returns 1 when restored (or already a root).
   */
  seamRestore: {
    numberOfKeys: 2,
    lua: `${PARENT}
local p = getParent(KEYS[1], ARGV[1])
if not p then return 0 end
if p == ARGV[1] then return 1 end
if p ~= ARGV[2] or not redis.call('HGET', KEYS[2], 'l') then return 0 end
redis.call('HSET', KEYS[1], 'p', '=')
redis.call('HSET', KEYS[2], 'll', '1')
return 1`,
  },
  /**
   * KEYS e, ri of a node — ARGV id. One union-find step: parent, observedAt and whether the node
   * still holds root state although it is not a root (a union's bookkeeping in flight: path
   * compression must not skip it, or an undone link would leave pointers into the settled side).
   */
  seamStep: {
    numberOfKeys: 2,
    lua: `${PARENT}${ROOT}
local f = redis.call('HMGET', KEYS[1], 'p', 't')
f[1] = realParent(f[1], ARGV[1])
local pending = 0
if f[1] and f[1] ~= ARGV[1] and hasRootInfo(KEYS[2]) then pending = 1 end
return {f[1] or '', f[2] or '', pending}`,
  },
  /** KEYS e — ARGV incidentId, dedupTtl. The event hash becomes the dedup record. */
  seamForget: {
    numberOfKeys: 1,
    lua: `${EVENT_PARTS}
if not redis.call('HGET', KEYS[1], 't') then return 0 end
delEvent(KEYS[1])
redis.call('HDEL', KEYS[1], 'p')
redis.call('HSET', KEYS[1], 'i', ARGV[1])
-- GT: a settled root's info (same hash) must outlive its acknowledgement; the dedup sweep still
-- deletes the record at the end of its retention.
redis.call('PEXPIRE', KEYS[1], ARGV[2], 'GT')
return 1`,
  },
  /** KEYS e — the stored event ('' when none). A read, as a script so the batcher groups it. */
  seamReadEvent: {
    numberOfKeys: 1,
    lua: `${EVENT_PARTS}
return getEvent(KEYS[1]) or ''`,
  },
  /** KEYS e — ARGV id. An event's record: `exists`, observedAt, event, incident, parent; or `none`. */
  seamReadKnown: {
    numberOfKeys: 1,
    lua: `${EXISTS}
return {'none'}`,
  },
  /** KEYS kt — ARGV id, observedAt. The IP decision of an occurrence and a hot one's count ('' when none). */
  seamReadIpState: {
    numberOfKeys: 1,
    lua: `${OCCURRENCE}
local m = findMember(KEYS[1], ARGV[2], ARGV[1])
if not m then return {'', ''} end
local _, decision = parseMember(m)
return {string.sub(decision, 1, 1), string.sub(decision, 2)}`,
  },
  /** KEYS rm of a settled root — deletes its member set (its members are evicted and forgotten). */
  seamDropMembers: {
    numberOfKeys: 1,
    lua: `return redis.call('DEL', KEYS[1])`,
  },
  /**
   * KEYS e — drops a dedup record (never live state). The hash of a settled root whose version is
   * not acknowledged yet also holds its root info: only the dedup fields go then, and the hash with
   * the info's acknowledgement (an empty hash is no key).
   */
  seamDropDedup: {
    numberOfKeys: 1,
    lua: `${ROOT}
local f = redis.call('HMGET', KEYS[1], 'i', 'p')
if not f[1] or f[2] then return 0 end
if hasRootInfo(KEYS[1]) then return redis.call('HDEL', KEYS[1], 'i', 't') end
return redis.call('DEL', KEYS[1])`,
  },
  /**
   * KEYS bucket — ARGV max score, limit, '1' with scores. The earliest entries up to max: a script
   * (not a plain ZRANGEBYSCORE) so that the batcher sends the scans of all of a kind's buckets as one
   * call on a standalone Redis (256 sweep buckets per kind since session 10).
   */
  seamScan: {
    numberOfKeys: 1,
    lua: `
if ARGV[3] == '1' then return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2]) end
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])`,
  },
  /**
   * KEYS bucket — ARGV ttl, mode ('GT' or ''), then score, member pairs (one pair or many). ZADD with a
   * safety-net TTL; like seamScan and seamBucketRemove a script so that the batcher sends those of
   * many buckets as one call on a standalone Redis (calls with the same number of entries share one).
   */
  seamBucketAddAll: {
    numberOfKeys: 1,
    lua: `
local n = #ARGV
for i = 3, n, 1000 do
  local last = math.min(i + 999, n)
  if ARGV[2] == 'GT' then redis.call('ZADD', KEYS[1], 'GT', unpack(ARGV, i, last))
  else redis.call('ZADD', KEYS[1], unpack(ARGV, i, last)) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`,
  },
  /** KEYS bucket — ARGV members. ZREM of many entries (see seamBucketAddAll). */
  seamBucketRemove: {
    numberOfKeys: 1,
    lua: `
local n = #ARGV
for i = 1, n, 1000 do redis.call('ZREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, n))) end
return 1`,
  },
  /**
   * KEYS due bucket, emitting bucket (same tag) — ARGV max score, limit, lease expiry ('' = no
   * lease), ttl. Pops (reads and removes, atomically) up to limit members scored ≤ max: of several
   * instances popping the same bucket, exactly one gets each member. With a lease the popped members
   * move to the emitting bucket, scored by the lease expiry, until acknowledged.
   */
  seamPop: {
    numberOfKeys: 2,
    lua: `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #ids, 1000 do
  local part = {unpack(ids, i, math.min(i + 999, #ids))}
  redis.call('ZREM', KEYS[1], unpack(part))
  if ARGV[3] ~= '' then
    local args = {}
    for _, id in ipairs(part) do args[#args + 1] = ARGV[3]; args[#args + 1] = id end
    redis.call('ZADD', KEYS[2], unpack(args))
  end
end
if ARGV[3] ~= '' and #ids > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return ids`,
  },
  /**
   * KEYS emitting bucket, due bucket (same tag) — ARGV now, ttl. Emission leases that expired (the
   * instance died between popping and producing) go back to the due bucket, due now.
   */
  seamReclaim: {
    numberOfKeys: 2,
    lua: `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
if #ids == 0 then return 0 end
redis.call('ZREM', KEYS[1], unpack(ids))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[2], 'LT', ARGV[1], id); redis.call('ZADD', KEYS[2], 'NX', ARGV[1], id) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return #ids`,
  },
  /** KEYS e, rm, ri, ra of a root — ARGV root. The root's info, members, absorbed ids and its own event (one slot). */
  seamLoadRoot: {
    numberOfKeys: 4,
    lua: `${EVENT_PARTS}${MEMBERS}${ROOT}
return {rootInfo(KEYS[3]), members(KEYS[1], KEYS[2], ARGV[1]), redis.call('SMEMBERS', KEYS[4]), getEvent(KEYS[1]) or ''}`,
  },
  /**
   * KEYS wm — ARGV field, observedAt ('' = none), ttl, wall ms ('' = none). Per-partition max
   * event time (field = partition; also the persisted watermark floor `~floor`) and the wall-clock
   * time of the partition's last record (field `~wall:<partition>`, a max too); records LAYOUT
   * (`~layout`, if not there: a hash that expired and comes back keeps saying which layout wrote
   * it); returns the whole hash.
   */
  seamWatermark: {
    numberOfKeys: 1,
    lua: `
if ARGV[2] ~= '' then
  local cur = redis.call('HGET', KEYS[1], ARGV[1])
  if not cur or tonumber(ARGV[2]) > tonumber(cur) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
end
if ARGV[4] ~= '' then
  local wall = redis.call('HGET', KEYS[1], '~wall:' .. ARGV[1])
  if not wall or tonumber(ARGV[4]) > tonumber(wall) then redis.call('HSET', KEYS[1], '~wall:' .. ARGV[1], ARGV[4]) end
end
redis.call('HSETNX', KEYS[1], '${LAYOUT_FIELD}', '${LAYOUT}')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('HGETALL', KEYS[1])`,
  },
  /**
   * KEYS wm — ARGV ttl. Claims the prefix for LAYOUT when it holds no state yet; returns 'ok' when
   * the layout is LAYOUT, else the layout found ('' when the watermark hash exists without one:
   * state of a version from before layouts were recorded).
   */
  seamLayout: {
    numberOfKeys: 1,
    lua: `
local cur = redis.call('HGET', KEYS[1], '${LAYOUT_FIELD}')
if cur == '${LAYOUT}' then return 'ok' end
if cur then return cur end
if redis.call('EXISTS', KEYS[1]) == 1 then return '' end
redis.call('HSET', KEYS[1], '${LAYOUT_FIELD}', '${LAYOUT}')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 'ok'`,
  },
} as const satisfies Record<string, ScriptDef>;

export type ScriptName = keyof typeof SCRIPTS;
