/**
 * The atomic steps of shared flows, as Lua scripts that Redis runs one at a time: each script reads and writes
 * with no other command in between, so "exactly one" holds across any number of replicas. Every script reads
 * time from Redis (`TIME`), never from a replica, so replicas with skewed clocks agree on deadlines and windows.
 *
 * Every key a script writes gets a TTL (Redis never accumulates): a pending flow's record and single-flight key
 * live `lifetime + retention`, an ended flow's record `retention` (five minutes by default), a lease its lease
 * TTL, a rate window its window, the pending set as long as its longest-lived member.
 *
 * Record fields the scripts own (callers may read them, never set them): `status`, `phase`, `version` (bumped on
 * every change), `created_ms`, `deadline_ms`, `ended_ms` (Redis clock), `single` (the single-flight key), `driver`
 * (the last lease holder). Everything else in the record belongs to the caller.
 *
 * Each script is registered with node-redis's `defineScript` (EVALSHA, falling back to EVAL on NOSCRIPT, e.g.
 * after a Redis restart); `FLOW_SCRIPTS` is what the connection registers.
 */
import { defineScript, type CommandParser } from 'redis';
import type { FlowStatus } from '../../contract.js';
import type { FlowKeys } from './keys.js';

/** Statuses a flow never leaves. Also written into the Lua prelude, so the scripts enforce it themselves. */
export const END_STATUSES = ['success', 'error', 'expired', 'cancelled'] as const satisfies readonly FlowStatus[];
/** Fields of the record that only the scripts write. */
export const SCRIPT_FIELDS = ['status', 'phase', 'version', 'created_ms', 'deadline_ms', 'ended_ms', 'single', 'driver'] as const;
/** Most due flows one call ends, so one script never runs long however many flows expired at once. */
export const SWEEP_BATCH = 100;

/** A flow's position: its status and the phase within it ("pending/polling"). */
export interface FlowState {
  status: string;
  phase: string;
}

/** A change note, as published on the events channel (JSON): never a secret, only where a flow is. */
export interface FlowChange extends FlowState {
  id: string;
  version: number;
}

/**
 * Shared by every script: the end statuses, Redis' clock, the change note, and ending a flow.
 *
 * end_flow's invariants: the record gets its end status and phase, `ended_ms`, a bumped version and a TTL of
 * `retention` ms; its single-flight key is deleted when it still names this flow (never another's); the flow
 * leaves the pending set (its slot is free); its lease is deleted (nobody drives an ended flow); a note is published.
 */
const PRELUDE = `
local END = {${END_STATUSES.map((s) => `['${s}']=true`).join(', ')}}
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function publish(prefix, id, status, phase, version)
  redis.call('PUBLISH', prefix .. 'events', cjson.encode({id=id, status=status, phase=phase, version=version}))
end
local function hset_pairs(key, list, first)
  for i = first, #list, 2 do redis.call('HSET', key, list[i], list[i + 1]) end
end
local function end_flow(prefix, id, status, phase, list, first, retention, now)
  local key = prefix .. 'flow:' .. id
  hset_pairs(key, list, first)
  redis.call('HSET', key, 'status', status, 'phase', phase, 'ended_ms', now)
  local version = redis.call('HINCRBY', key, 'version', 1)
  redis.call('PEXPIRE', key, retention)
  local single = redis.call('HGET', key, 'single')
  if single and redis.call('GET', single) == id then redis.call('DEL', single) end
  redis.call('ZREM', prefix .. 'pending', id)
  redis.call('DEL', prefix .. 'lease:' .. id)
  publish(prefix, id, status, phase, version)
  return version
end
-- Ends every due pending flow (deadline passed) as expired, except those committing: their driver is writing
-- credentials, and only it (or a replica taking over its lease) knows the outcome. Committing ones without a
-- lease are returned as stuck. Entries whose record is gone or no longer pending just leave the set.
local function sweep(prefix, now, retention, limit)
  local due = redis.call('ZRANGEBYSCORE', prefix .. 'pending', '-inf', now, 'LIMIT', 0, limit)
  local expired, stuck = {}, {}
  for _, id in ipairs(due) do
    local rec = redis.call('HMGET', prefix .. 'flow:' .. id, 'status', 'phase')
    if rec[1] ~= 'pending' then
      redis.call('ZREM', prefix .. 'pending', id)
    elseif rec[2] == 'committing' then
      if redis.call('EXISTS', prefix .. 'lease:' .. id) == 0 then table.insert(stuck, id) end
    else
      end_flow(prefix, id, 'expired', 'ended', {}, 1, retention, now)
      table.insert(expired, id)
    end
  end
  return expired, stuck
end
`;

/**
 * (a) Create with single flight and the pending bound.
 * KEYS: flow record, single-flight key, pending set. ARGV: prefix, id, max pending (0 = no bound), lifetime ms,
 * retention ms, first phase, then field/value pairs of the record.
 *
 * Invariants: due flows are expired first (so dead flows never hold a slot or the single flight); while a pending
 * flow holds the single-flight key, no second flow is created for that key and its id is returned; a flow is
 * created only while fewer than `max pending` flows are pending; a created flow is `pending`, in the pending set
 * scored by its deadline (now + lifetime), named by the single-flight key, and every key written has a TTL.
 * Replies: {'existing', id} | {'limit'} | {'created', version, deadline_ms}; an id already in use is an error.
 */
const CREATE_LUA = `${PRELUDE}
local prefix, id = ARGV[1], ARGV[2]
local max_pending, lifetime, retention = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
sweep(prefix, now, retention, ${SWEEP_BATCH})
local holder = redis.call('GET', KEYS[2])
if holder then
  if redis.call('HGET', prefix .. 'flow:' .. holder, 'status') == 'pending' then return {'existing', holder} end
  redis.call('DEL', KEYS[2])
end
if max_pending > 0 and redis.call('ZCARD', KEYS[3]) >= max_pending then return {'limit'} end
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('ERR flow id ' .. id .. ' is already in use') end
local deadline, ttl = now + lifetime, lifetime + retention
hset_pairs(KEYS[1], ARGV, 7)
redis.call('HSET', KEYS[1], 'status', 'pending', 'phase', ARGV[6], 'version', 1, 'created_ms', now, 'deadline_ms', deadline, 'single', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], id, 'PX', ttl)
redis.call('ZADD', KEYS[3], deadline, id)
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
publish(prefix, id, 'pending', ARGV[6], 1)
return {'created', 1, deadline}
`;

/**
 * (b) Compare-and-set of status and phase (and caller fields with it).
 * KEYS: flow record, lease. ARGV: prefix, id, allowed from-states ("status/phase" separated by spaces), new
 * status, new phase, owner ('' = anyone), 'due' (only once the deadline passed) or '', retention ms, new lifetime
 * ms from now (-1 = keep the deadline; ignored for an end status), then field/value pairs to write with the change.
 *
 * Invariants: an ended flow never changes (whatever the caller allows); the change happens only from one of the
 * allowed states, so of two racing changes from the same state exactly one wins (cancel from pending/polling
 * against commit pending/polling → pending/committing); with an owner, only the lease holder changes the flow;
 * with 'due', only once Redis' clock passed the deadline. An end status runs end_flow (TTL on the record, single
 * flight and pending slot freed, lease dropped); every change bumps the version and publishes a note.
 * Replies: {'ok', status, phase, version} | {'missing'} | {'ended'|'conflict'|'not_owner', status, phase, version}
 * | {'not_due', status, phase, version, ms_left}.
 */
const TRANSITION_LUA = `${PRELUDE}
local prefix, id = ARGV[1], ARGV[2]
local to_status, to_phase, owner, when = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local retention, lifetime = tonumber(ARGV[8]), tonumber(ARGV[9])
local rec = redis.call('HMGET', KEYS[1], 'status', 'phase', 'deadline_ms', 'version')
if not rec[1] then return {'missing'} end
local version = tonumber(rec[4])
if END[rec[1]] then return {'ended', rec[1], rec[2], version} end
if owner ~= '' and redis.call('GET', KEYS[2]) ~= owner then return {'not_owner', rec[1], rec[2], version} end
local allowed = false
for state in string.gmatch(ARGV[3], '%S+') do
  if state == rec[1] .. '/' .. rec[2] then allowed = true end
end
if not allowed then return {'conflict', rec[1], rec[2], version} end
local now = now_ms()
if when == 'due' and now < tonumber(rec[3]) then return {'not_due', rec[1], rec[2], version, tonumber(rec[3]) - now} end
if END[to_status] then
  version = end_flow(prefix, id, to_status, to_phase, ARGV, 10, retention, now)
else
  hset_pairs(KEYS[1], ARGV, 10)
  redis.call('HSET', KEYS[1], 'status', to_status, 'phase', to_phase)
  if lifetime >= 0 then
    -- a new deadline (the provider said how long its code lives): the record, its single-flight key and its
    -- place in the pending set all move with it, so every key still lives exactly as long as the flow needs
    local deadline = now + lifetime
    redis.call('HSET', KEYS[1], 'deadline_ms', deadline)
    redis.call('PEXPIRE', KEYS[1], lifetime + retention)
    local single = redis.call('HGET', KEYS[1], 'single')
    if single and redis.call('GET', single) == id then redis.call('PEXPIRE', single, lifetime + retention) end
    redis.call('ZADD', prefix .. 'pending', 'XX', deadline, id)
    if redis.call('PTTL', prefix .. 'pending') < lifetime + retention then redis.call('PEXPIRE', prefix .. 'pending', lifetime + retention) end
  end
  version = redis.call('HINCRBY', KEYS[1], 'version', 1)
  publish(prefix, id, to_status, to_phase, version)
end
return {'ok', to_status, to_phase, version}
`;

/**
 * (c) Expiry sweep: ends due pending flows as expired (see `sweep` in the prelude), at most SWEEP_BATCH a call.
 * KEYS: pending set. ARGV: prefix, retention ms. Reply: {expired ids, stuck ids (committing, past the deadline,
 * no lease: their driver died while saving; a replica should take the lease and settle them)}.
 * A single flow's expiry is decided by TRANSITION with 'due'.
 */
const SWEEP_LUA = `${PRELUDE}
local expired, stuck = sweep(ARGV[1], now_ms(), tonumber(ARGV[2]), ${SWEEP_BATCH})
return {expired, stuck}
`;

/**
 * (d) Lease acquire (or renew by its holder). KEYS: lease, flow record. ARGV: owner, TTL ms.
 * Invariants: at most one owner holds a lease at a time; nobody acquires the lease of a missing or ended flow;
 * a lease nobody renews lapses after its TTL (Redis expires the key) and then anyone may take it over; the record
 * remembers the last holder in `driver`, so a taker learns it took over from another replica.
 * Replies: {'acquired', previous driver or ''} | {'renewed'} | {'held', ms left} | {'missing'} | {'ended'}.
 */
const LEASE_ACQUIRE_LUA = `${PRELUDE}
local owner, ttl = ARGV[1], tonumber(ARGV[2])
local status = redis.call('HGET', KEYS[2], 'status')
if not status then return {'missing'} end
if END[status] then return {'ended'} end
local holder = redis.call('GET', KEYS[1])
if holder == owner then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {'renewed'}
end
if holder then return {'held', redis.call('PTTL', KEYS[1])} end
redis.call('SET', KEYS[1], owner, 'PX', ttl)
local previous = redis.call('HGET', KEYS[2], 'driver') or ''
redis.call('HSET', KEYS[2], 'driver', owner)
return {'acquired', previous}
`;

/**
 * (d) Lease renew. KEYS: lease. ARGV: owner, TTL ms. Only the holder renews; a lapsed or taken lease is lost for
 * good (the caller must stop driving). Replies: {'renewed'} | {'lost'}.
 */
const LEASE_RENEW_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'lost'} end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return {'renewed'}
`;

/** (d) Lease release. KEYS: lease. ARGV: owner. Only the holder releases. Reply: 1 released, 0 not held. */
const LEASE_RELEASE_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * (e) Start rate limit: a sliding window per client. KEYS: the client's window. ARGV: window ms, limit, a unique
 * member for this start.
 * Invariants: at most `limit` starts are accepted in any window of `window` ms (Redis clock), counted over every
 * replica; a refused start is not counted; the window key lives `window` ms after the last accepted start.
 * Replies: {1, 0} accepted | {0, ms until the oldest counted start leaves the window (at least 1)}.
 */
const RATE_LUA = `${PRELUDE}
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.max(1, tonumber(oldest[2]) + window - now)}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
`;

/**
 * (f) Remove: forgets a flow at once (a start that failed leaves nothing behind). KEYS: flow record, lease.
 * ARGV: prefix, id. Frees its single-flight key (only when it still names this flow) and its pending slot.
 * Reply: 1 removed, 0 there was no such flow.
 */
const REMOVE_LUA = `
local prefix, id = ARGV[1], ARGV[2]
local single = redis.call('HGET', KEYS[1], 'single')
if single and redis.call('GET', single) == id then redis.call('DEL', single) end
redis.call('ZREM', prefix .. 'pending', id)
redis.call('DEL', KEYS[2])
return redis.call('DEL', KEYS[1])
`;

/**
 * (g) Orphans: pending flows nobody drives (no lease) past their first provider answer, at most `limit`, earliest
 * deadline first. KEYS: pending set. ARGV: prefix, limit. A replica then races for each one's lease (acquire
 * decides). A flow still `starting` is left to the sweep: its first request died with the replica that made it.
 */
const ORPHANS_LUA = `
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, 999)) do
  if redis.call('EXISTS', prefix .. 'lease:' .. id) == 0 then
    local rec = redis.call('HMGET', prefix .. 'flow:' .. id, 'status', 'phase')
    if rec[1] == 'pending' and rec[2] ~= 'starting' then table.insert(out, id) end
  end
  if #out >= limit then break end
end
return out
`;

// ---------------------------------------------------------------------------------------------------------------
// Typed calls and replies.

/** What `flowCreate` needs. */
export interface CreateInput {
  id: string;
  provider: string;
  home: string;
  /** 0: no bound. */
  maxPending: number;
  /** How long the flow may stay pending (ms, Redis clock); its deadline is now + lifetime. */
  lifetimeMs: number;
  /** How long an ended flow is kept (ms); also kept past the deadline when nobody is left to end it. */
  retentionMs: number;
  phase: string;
  /** The caller's record fields (never a SCRIPT_FIELDS name). */
  fields: Record<string, string>;
}

export type CreateResult =
  | { outcome: 'created'; id: string; version: number; deadlineMs: number }
  | { outcome: 'existing'; id: string }
  | { outcome: 'limit' };

/** What `flowTransition` needs. */
export interface TransitionInput {
  id: string;
  from: readonly FlowState[];
  to: FlowState;
  /** When set, only this lease holder may make the change. */
  owner?: string;
  /** Only once the flow's deadline passed (Redis clock): the per-flow expiry decision. */
  onlyWhenDue?: boolean;
  retentionMs: number;
  /** A new deadline, this long from now (Redis clock): the pending set, the record's and single-flight key's TTLs follow. */
  lifetimeMs?: number;
  fields?: Record<string, string>;
}

export type TransitionResult =
  | { outcome: 'ok'; state: FlowState; version: number }
  | { outcome: 'missing' }
  | { outcome: 'ended' | 'conflict' | 'not_owner'; state: FlowState; version: number }
  | { outcome: 'not_due'; state: FlowState; version: number; msLeft: number };

export interface SweepResult {
  expired: string[];
  stuck: string[];
}

export type LeaseAcquireResult =
  | { outcome: 'acquired'; previousDriver: string | undefined }
  | { outcome: 'renewed' }
  | { outcome: 'held'; msLeft: number }
  | { outcome: 'missing' }
  | { outcome: 'ended' };

export type RateResult = { allowed: true } | { allowed: false; retryAfterMs: number };

function fieldPairs(fields: Record<string, string> | undefined): string[] {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(fields ?? {})) {
    if ((SCRIPT_FIELDS as readonly string[]).includes(name)) throw new Error(`The flow record field "${name}" is written by the scripts only.`);
    pairs.push(name, value);
  }
  return pairs;
}

function stateToken(state: FlowState): string {
  if (/[\s/]/.test(state.status) || /[\s/]/.test(state.phase)) throw new Error(`A flow status or phase has no spaces or slashes: ${state.status}/${state.phase}`);
  return `${state.status}/${state.phase}`;
}

/** Reads a script's reply as an array of strings and numbers (RESP3 arrays of blob strings and integers). */
function replyArray(reply: unknown): Array<string | number | unknown[]> {
  if (!Array.isArray(reply)) throw new Error(`Unexpected script reply: ${typeof reply}`);
  return reply.map((item: unknown) => (typeof item === 'string' || typeof item === 'number' || Array.isArray(item) ? item : String(item)));
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function num(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new Error(`Unexpected number in a script reply: ${String(value)}`);
  return n;
}

function parseState(reply: unknown[]): { state: FlowState; version: number } {
  return { state: { status: str(reply[1]), phase: str(reply[2]) }, version: num(reply[3]) };
}

export function parseCreateReply(reply: unknown, id: string): CreateResult {
  const r = replyArray(reply);
  if (r[0] === 'created') return { outcome: 'created', id, version: num(r[1]), deadlineMs: num(r[2]) };
  if (r[0] === 'existing') return { outcome: 'existing', id: str(r[1]) };
  if (r[0] === 'limit') return { outcome: 'limit' };
  throw new Error(`Unexpected create reply: ${str(r[0])}`);
}

export function parseTransitionReply(reply: unknown): TransitionResult {
  const r = replyArray(reply);
  switch (r[0]) {
    case 'ok':
      return { outcome: 'ok', ...parseState(r) };
    case 'missing':
      return { outcome: 'missing' };
    case 'ended':
    case 'conflict':
    case 'not_owner':
      return { outcome: r[0], ...parseState(r) };
    case 'not_due':
      return { outcome: 'not_due', ...parseState(r), msLeft: num(r[4]) };
    default:
      throw new Error(`Unexpected transition reply: ${str(r[0])}`);
  }
}

function parseSweepReply(reply: unknown): SweepResult {
  const [expired, stuck] = replyArray(reply);
  const ids = (list: unknown) => (Array.isArray(list) ? list.map(str) : []);
  return { expired: ids(expired), stuck: ids(stuck) };
}

function parseLeaseAcquireReply(reply: unknown): LeaseAcquireResult {
  const r = replyArray(reply);
  switch (r[0]) {
    case 'acquired':
      return { outcome: 'acquired', previousDriver: str(r[1]) || undefined };
    case 'held':
      return { outcome: 'held', msLeft: num(r[1]) };
    case 'renewed':
    case 'missing':
    case 'ended':
      return { outcome: r[0] };
    default:
      throw new Error(`Unexpected lease reply: ${str(r[0])}`);
  }
}

function parseRateReply(reply: unknown): RateResult {
  const r = replyArray(reply);
  return num(r[0]) === 1 ? { allowed: true } : { allowed: false, retryAfterMs: num(r[1]) };
}

/** The scripts, as node-redis registers them: each becomes a typed method of the client (`client.flowCreate(...)`). */
export const FLOW_SCRIPTS = {
  flowCreate: defineScript({
    SCRIPT: CREATE_LUA,
    NUMBER_OF_KEYS: 3,
    parseCommand(parser: CommandParser, keys: FlowKeys, input: CreateInput) {
      parser.pushKeys([keys.flow(input.id), keys.singleFlight(input.provider, input.home), keys.pending]);
      parser.push(keys.prefix, input.id, String(input.maxPending), String(input.lifetimeMs), String(input.retentionMs), input.phase);
      parser.push(...fieldPairs(input.fields));
      parser.preserve = input.id;
    },
    transformReply: (reply: unknown, preserve?: unknown) => parseCreateReply(reply, str(preserve)),
  }),
  flowTransition: defineScript({
    SCRIPT: TRANSITION_LUA,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, keys: FlowKeys, input: TransitionInput) {
      stateToken(input.to);
      parser.pushKeys([keys.flow(input.id), keys.lease(input.id)]);
      parser.push(keys.prefix, input.id, input.from.map(stateToken).join(' '), input.to.status, input.to.phase);
      parser.push(input.owner ?? '', input.onlyWhenDue ? 'due' : '', String(input.retentionMs), String(input.lifetimeMs ?? -1), ...fieldPairs(input.fields));
    },
    transformReply: (reply: unknown) => parseTransitionReply(reply),
  }),
  flowSweep: defineScript({
    SCRIPT: SWEEP_LUA,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, keys: FlowKeys, retentionMs: number) {
      parser.pushKey(keys.pending);
      parser.push(keys.prefix, String(retentionMs));
    },
    transformReply: (reply: unknown) => parseSweepReply(reply),
  }),
  leaseAcquire: defineScript({
    SCRIPT: LEASE_ACQUIRE_LUA,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, keys: FlowKeys, id: string, owner: string, ttlMs: number) {
      parser.pushKeys([keys.lease(id), keys.flow(id)]);
      parser.push(owner, String(ttlMs));
    },
    transformReply: (reply: unknown) => parseLeaseAcquireReply(reply),
  }),
  leaseRenew: defineScript({
    SCRIPT: LEASE_RENEW_LUA,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, keys: FlowKeys, id: string, owner: string, ttlMs: number) {
      parser.pushKey(keys.lease(id));
      parser.push(owner, String(ttlMs));
    },
    transformReply: (reply: unknown): 'renewed' | 'lost' => (str(replyArray(reply)[0]) === 'renewed' ? 'renewed' : 'lost'),
  }),
  leaseRelease: defineScript({
    SCRIPT: LEASE_RELEASE_LUA,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, keys: FlowKeys, id: string, owner: string) {
      parser.pushKey(keys.lease(id));
      parser.push(owner);
    },
    transformReply: (reply: unknown) => num(reply) === 1,
  }),
  flowRemove: defineScript({
    SCRIPT: REMOVE_LUA,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser: CommandParser, keys: FlowKeys, id: string) {
      parser.pushKeys([keys.flow(id), keys.lease(id)]);
      parser.push(keys.prefix, id);
    },
    transformReply: (reply: unknown) => num(reply) === 1,
  }),
  flowOrphans: defineScript({
    SCRIPT: ORPHANS_LUA,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, keys: FlowKeys, limit: number) {
      parser.pushKey(keys.pending);
      parser.push(keys.prefix, String(limit));
    },
    transformReply: (reply: unknown) => (Array.isArray(reply) ? reply.map(str) : []),
  }),
  startRate: defineScript({
    SCRIPT: RATE_LUA,
    NUMBER_OF_KEYS: 1,
    parseCommand(parser: CommandParser, keys: FlowKeys, client: string, windowMs: number, limit: number, member: string) {
      parser.pushKey(keys.rate(client));
      parser.push(String(windowMs), String(limit), member);
    },
    transformReply: (reply: unknown) => parseRateReply(reply),
  }),
};
