/**
 * Union-find whose root is always the smallest member under a total order. Because the parent
 * choice depends only on the members, never on the order of `union` calls, any sequence of the
 * same unions — in any order, repeated any number of times — yields the same partition and the same
 * roots: union is commutative, associative and idempotent. This is the property the Redis version
 * relies on to let concurrent instances and redeliveries converge (see STATE.md).
 */
export class DeterministicUnionFind {
  private readonly parent = new Map<string, string>();
  private readonly members = new Map<string, Set<string>>();

  /** `precedes(a, b)` is true when a sorts strictly before b. Must be a strict total order. */
  constructor(private readonly precedes: (a: string, b: string) => boolean) {}

  has(id: string): boolean {
    return this.parent.has(id);
  }

  add(id: string): void {
    if (this.parent.has(id)) return;
    this.parent.set(id, id);
    this.members.set(id, new Set([id]));
  }

  find(id: string): string {
    let root = id;
    for (let next = this.parent.get(root); next !== undefined && next !== root; next = this.parent.get(root)) {
      root = next;
    }
    if (!this.parent.has(root)) throw new Error(`union-find: unknown id ${id}`);
    // Path compression: point every node on the path straight at the root.
    for (let node = id; node !== root; ) {
      const next = this.parent.get(node) ?? root;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  }

  /** Joins the sets of a and b. Returns the surviving root and the root that stopped being one. */
  union(a: string, b: string): { readonly root: string; readonly absorbed: string } | undefined {
    const rootA = this.find(a);
    const rootB = this.find(b);
    if (rootA === rootB) return undefined;
    const [root, absorbed] = this.precedes(rootA, rootB) ? [rootA, rootB] : [rootB, rootA];
    this.parent.set(absorbed, root);
    const into = this.members.get(root);
    const from = this.members.get(absorbed);
    if (into === undefined || from === undefined) throw new Error('union-find: member sets out of sync');
    for (const member of from) into.add(member);
    this.members.delete(absorbed);
    return { root, absorbed };
  }

  membersOf(id: string): ReadonlySet<string> {
    return this.members.get(this.find(id)) ?? new Set();
  }

  roots(): string[] {
    return [...this.members.keys()];
  }

  /** Forgets a whole set (used when an incident settles and its state is evicted). */
  removeSet(id: string): void {
    const root = this.find(id);
    for (const member of this.members.get(root) ?? []) this.parent.delete(member);
    this.members.delete(root);
  }

  get size(): number {
    return this.parent.size;
  }
}
