import { z } from 'zod';
import { type Cidr, type ParsedIp, matchesPrefix, parseCidr } from './ip';
import { type LineError, type Result, err, jsonErrorLine, ok } from './result';

/**
 * Network namespaces: private addresses only mean something inside the network they live in
 * (10.0.0.5 in the Frankfurt data centre is not 10.0.0.5 in a VPC). A namespace map assigns each
 * private range a namespace; the longest matching prefix wins, and unmapped private addresses get
 * the default namespace. Public addresses have no namespace (null in the SecurityEvent contract).
 */
export interface NamespaceRange {
  readonly cidr: Cidr;
  readonly namespace: string;
}

export interface NamespaceMap {
  readonly defaultNamespace: string;
  /** Sorted longest prefix first, so the first match wins. */
  readonly ranges: readonly NamespaceRange[];
}

export const DEFAULT_PRIVATE_NAMESPACE = 'default';

export function emptyNamespaceMap(defaultNamespace = DEFAULT_PRIVATE_NAMESPACE): NamespaceMap {
  return { defaultNamespace, ranges: [] };
}

export interface NamespaceMapInput {
  readonly defaultNamespace?: string;
  readonly ranges: readonly { readonly cidr: string; readonly namespace: string }[];
}

/** Builds a map; each bad CIDR or duplicate block is reported with its index. */
export function buildNamespaceMap(input: NamespaceMapInput): Result<NamespaceMap, string[]> {
  const problems: string[] = [];
  const ranges: NamespaceRange[] = [];
  const seen = new Map<string, string>();
  input.ranges.forEach((range, index) => {
    const cidr = parseCidr(range.cidr);
    if (cidr === null) {
      problems.push(`ranges[${index}]: "${range.cidr}" is not a CIDR block`);
      return;
    }
    if (range.namespace.trim() === '') {
      problems.push(`ranges[${index}]: namespace is empty`);
      return;
    }
    const previous = seen.get(cidr.canonical);
    if (previous !== undefined && previous !== range.namespace) {
      problems.push(`ranges[${index}]: ${cidr.canonical} is already mapped to "${previous}"`);
      return;
    }
    seen.set(cidr.canonical, range.namespace);
    ranges.push({ cidr, namespace: range.namespace.trim() });
  });
  if (problems.length > 0) return err(problems);
  ranges.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  const defaultNamespace = input.defaultNamespace?.trim() || DEFAULT_PRIVATE_NAMESPACE;
  return ok({ defaultNamespace, ranges });
}

/** Namespace of a private address: the longest mapped prefix, else the default. */
export function namespaceOf(map: NamespaceMap, ip: ParsedIp): string {
  for (const range of map.ranges) {
    if (range.cidr.version === ip.version && matchesPrefix(ip.bytes, range.cidr.network, range.cidr.prefix)) {
      return range.namespace;
    }
  }
  return map.defaultNamespace;
}

const namespaceFileSchema = z.object({
  default: z.string().min(1).optional(),
  ranges: z.array(z.object({ cidr: z.string().min(1), namespace: z.string().min(1) })),
});

/**
 * Parses the namespace map file (JSON):
 * `{"default": "corp", "ranges": [{"cidr": "10.20.0.0/16", "namespace": "aws-vpc-prod"}]}`.
 */
export function parseNamespaceMapJson(text: string): Result<NamespaceMap, LineError[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return err([{ line: jsonErrorLine(text), message: `invalid JSON: ${String(error)}` }]);
  }
  const parsed = namespaceFileSchema.safeParse(value);
  if (!parsed.success) {
    return err(parsed.error.issues.map((issue) => ({
      line: null,
      message: `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    })));
  }
  const built = buildNamespaceMap({
    ...(parsed.data.default === undefined ? {} : { defaultNamespace: parsed.data.default }),
    ranges: parsed.data.ranges,
  });
  if (!built.ok) return err(built.error.map((message) => ({ line: null, message })));
  return built;
}
