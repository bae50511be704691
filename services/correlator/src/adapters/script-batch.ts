import type { ScriptDef } from './redis-scripts';

/**
 * One Redis call for many invocations of the same script.
 *
 * The correlation state runs every step of a batch's events concurrently; with one EVALSHA per step
 * and event (~20 per event) the correlator's CPU went to ioredis building, queueing and parsing
 * commands (and the garbage that makes), and Redis's to per-call script overhead. The batcher
 * collects the invocations issued in the same tick and sends each script's share as ONE call of its
 * `Many` variant, which runs the unchanged script body once per invocation and returns the replies
 * in order. Invocations that share a tick are concurrent by construction (nothing awaited between
 * them), so running them back to back inside one script changes no ordering anyone relied on; it
 * only makes them jointly atomic, which is stronger. Every script is idempotent or a
 * compare-and-set, so a batch cut short by an error (Redis does not roll back a script's earlier
 * writes) is the same as several single calls of which some failed: the callers see the error.
 *
 * On a Redis Cluster a script may only touch one slot, so invocations are grouped per hash tag
 * (keys with the same tag share a slot; every key of one invocation shares one tag by design).
 */

/** Suffix of the batched variant's command name. */
export const MANY_SUFFIX = 'Many';

/**
 * The batched variant of a script: KEYS = the keys of every invocation in order (the script's
 * `numberOfKeys` each), ARGV = [argument count per invocation, ...the arguments of every invocation].
 * The body is the single script's, as a function whose parameters shadow KEYS and ARGV.
 */
export function manyVariant(def: ScriptDef): string {
  return `
local function op(KEYS, ARGV)
${def.lua}
end
local nk = ${def.numberOfKeys}
local na = tonumber(ARGV[1])
local n = #KEYS / nk
local out = {}
for i = 0, n - 1 do
  local k = {}
  for j = 1, nk do k[j] = KEYS[i * nk + j] end
  local a = {}
  for j = 1, na do a[j] = ARGV[1 + i * na + j] end
  local r = op(k, a)
  if r == nil then r = false end
  out[i + 1] = r
end
return out`;
}

type Send = (name: string, keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

interface Pending {
  readonly keys: readonly string[];
  readonly args: ReadonlyArray<string | number>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Group {
  readonly name: string;
  readonly ops: Pending[];
}

export interface ScriptBatcherOptions {
  /** Sends one script call: `name` is a single script or its `Many` variant (keys, then args). */
  readonly send: Send;
  /** Group per hash tag (Redis Cluster); otherwise one group per script. */
  readonly perSlot: boolean;
  /** Most invocations in one call (bounds how long one script blocks Redis). Default 512. */
  readonly maxPerCall?: number;
}

export class ScriptBatcher {
  private readonly send: Send;
  private readonly perSlot: boolean;
  private readonly maxPerCall: number;
  private groups = new Map<string, Group>();
  private scheduled = false;
  /** Calls sent and invocations carried (bench-redis-state prints them per event). */
  calls = 0;
  invocations = 0;

  constructor(options: ScriptBatcherOptions) {
    this.send = options.send;
    this.perSlot = options.perSlot;
    this.maxPerCall = Math.max(1, options.maxPerCall ?? 512);
  }

  call(name: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // Invocations of one call must agree on the argument count (the variant's stride).
      const groupKey = `${name}|${args.length}${this.perSlot ? `|${hashTag(keys[0] ?? '')}` : ''}`;
      let group = this.groups.get(groupKey);
      if (group === undefined) {
        group = { name, ops: [] };
        this.groups.set(groupKey, group);
      }
      group.ops.push({ keys, args, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the current microtasks: every step that the replies of one round trip unblock is in.
        process.nextTick(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const groups = this.groups;
    this.groups = new Map();
    for (const { name, ops } of groups.values()) {
      for (let start = 0; start < ops.length; start += this.maxPerCall) this.sendChunk(name, ops.slice(start, start + this.maxPerCall));
    }
  }

  private sendChunk(name: string, ops: readonly Pending[]): void {
    this.calls += 1;
    this.invocations += ops.length;
    const only = ops.length === 1 ? ops[0] : undefined;
    if (only !== undefined) {
      this.send(name, only.keys, only.args).then(only.resolve, only.reject);
      return;
    }
    const keys: string[] = [];
    const args: Array<string | number> = [ops[0]?.args.length ?? 0];
    for (const op of ops) {
      for (const key of op.keys) keys.push(key);
      for (const arg of op.args) args.push(arg);
    }
    this.send(`${name}${MANY_SUFFIX}`, keys, args).then(
      (replies) => {
        const list = Array.isArray(replies) ? (replies as unknown[]) : [];
        ops.forEach((op, i) => {
          if (i < list.length) op.resolve(list[i] ?? null);
          else op.reject(new Error(`redis script ${name}: batched reply has ${list.length} entries for ${ops.length} calls`));
        });
      },
      (error: unknown) => {
        for (const op of ops) op.reject(error);
      },
    );
  }
}

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}
