/** Asset context by CIDR range (a file): the coarse fallback when the CMDB has no CI for an address. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { matchesPrefix, parseCidr, parseIp, type Cidr } from '../domain/ip';
import { forNamespace, type Asset, type AssetProvider, type Indicator } from '../domain/providers';

const rangeSchema = z.object({
  cidr: z.string(),
  owner: z.string().nullable().default(null),
  supportGroup: z.string().nullable().default(null),
  businessUnit: z.string().nullable().default(null),
  criticality: z.number().int().min(1).max(5),
  tags: z.array(z.string()).default([]),
  internetFacing: z.boolean().default(false),
  /** The network namespace the range belongs to; null: any namespace. */
  namespace: z.string().min(1).nullable().default(null),
});
const fileSchema = z.object({ ranges: z.array(rangeSchema) });

interface Range {
  readonly cidr: Cidr;
  readonly namespace: string | null;
  readonly asset: Omit<Asset, 'key' | 'namespace'>;
}

export class AssetRanges implements AssetProvider {
  readonly name = 'asset-ranges';
  readonly kind = 'assets';
  readonly indicatorKinds = ['ip'] as const;

  private constructor(private readonly ranges: readonly Range[]) {}

  static parse(text: string, origin = 'asset ranges'): AssetRanges {
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${origin}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const ranges = parsed.data.ranges.map((r, i) => {
      const cidr = parseCidr(r.cidr);
      if (cidr === null) throw new Error(`${origin}: ranges.${i}.cidr: not a CIDR block`);
      const { cidr: _cidr, namespace, ...asset } = r;
      return { cidr, namespace, asset: { ...asset, tags: [...asset.tags, `range:${cidr.canonical}`] } };
    });
    // Longest prefix first: the most specific range wins.
    return new AssetRanges(ranges.sort((a, b) => b.cidr.prefix - a.cidr.prefix));
  }

  static fromFile(path: string): AssetRanges {
    return AssetRanges.parse(readFileSync(path, 'utf8'), path);
  }

  lookup(indicator: Indicator): Promise<Asset[]> {
    const ip = parseIp(indicator.value);
    if (ip === null) return Promise.resolve([]);
    const containing = this.ranges.filter((r) => r.cidr.version === ip.version && matchesPrefix(ip.bytes, r.cidr.network, r.cidr.prefix));
    // Ranges of the indicator's namespace first (else namespace-less ones), longest prefix among them.
    const hit = forNamespace(containing, (r) => r.namespace, indicator.namespace)[0];
    return Promise.resolve(hit === undefined ? [] : [{ key: indicator.value, ...hit.asset, namespace: indicator.namespace }]);
  }
}
