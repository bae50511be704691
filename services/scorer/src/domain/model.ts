import type { SourceSystem } from '@seam/schemas/records/common';
import type { SecurityEvent } from '@seam/schemas/records/security-event';
import type { FalsePositivePattern, FalsePositivePatternKind, RiskModelConfig } from './config';
import { cidrContains, parseCidr, parseIp, type Cidr } from './ip';
import type { ScoringContext } from './input';
import { compileGlob, matchesAny, type Glob } from './text';
import { inWindow, weeklyWindow } from './time-window';

/**
 * A known false-positive pattern, compiled once. `match` returns what matched on the event (an
 * address, an identity, a user agent; possibly attacker-controlled, so sanitized before display)
 * or null.
 */
export interface CompiledPattern {
  readonly name: string;
  readonly kind: FalsePositivePatternKind;
  readonly points: number;
  readonly likelihood: number;
  readonly closingReason: string;
  readonly match: (event: SecurityEvent, context: ScoringContext) => string | null;
}

/** The validated config plus everything precomputed for the hot path. */
export interface RiskModel {
  readonly config: RiskModelConfig;
  readonly patterns: readonly CompiledPattern[];
  readonly privilegedGlobs: readonly Glob[];
}

function scannerMatcher(cidrs: readonly Cidr[]): CompiledPattern['match'] {
  return (event) => {
    for (const ip of event.entities.ips) {
      if (ip.role !== 'actor') continue;
      const words = parseIp(ip.address);
      if (words === null) continue;
      for (const cidr of cidrs) if (cidrContains(cidr, words)) return ip.address;
    }
    return null;
  };
}

function actorIdentityMatcher(globs: readonly Glob[]): (event: SecurityEvent) => string | null {
  return (event) => {
    for (const identity of event.entities.identities) {
      if (identity.role !== 'actor') continue;
      if (matchesAny(globs, identity.canonical) || matchesAny(globs, identity.raw)) return identity.canonical;
    }
    return null;
  };
}

function compileMatcher(pattern: FalsePositivePattern): CompiledPattern['match'] {
  switch (pattern.kind) {
    case 'scanner': {
      const cidrs = pattern.cidrs.map(parseCidr).filter((cidr): cidr is Cidr => cidr !== null);
      return scannerMatcher(cidrs);
    }
    case 'service-account':
      return actorIdentityMatcher(pattern.identities.map(compileGlob));
    case 'scheduled-job': {
      const titles = pattern.titles.map(compileGlob);
      const byIdentity = pattern.identities.length === 0 ? null : actorIdentityMatcher(pattern.identities.map(compileGlob));
      const { days, start, end, utcOffsetMinutes } = pattern.window;
      const window = weeklyWindow(days, start, end, utcOffsetMinutes);
      return (event) => {
        if (!matchesAny(titles, event.title) || !inWindow(window, event.observedAt)) return null;
        if (byIdentity === null) return 'title and time window';
        const identity = byIdentity(event);
        return identity === null ? null : identity;
      };
    }
    case 'benign-user-agent': {
      const agents = pattern.userAgents.map(compileGlob);
      return (event, context) => {
        const agent = context.userAgents?.get(event.eventId);
        return agent !== undefined && matchesAny(agents, agent) ? agent : null;
      };
    }
  }
}

function compilePattern(pattern: FalsePositivePattern): CompiledPattern {
  const match = compileMatcher(pattern);
  const sources: ReadonlySet<SourceSystem> | null = pattern.sources.length === 0 ? null : new Set(pattern.sources);
  return {
    name: pattern.name,
    kind: pattern.kind,
    points: pattern.points,
    likelihood: pattern.likelihood,
    closingReason: pattern.closingReason,
    match: sources === null ? match : (event, context) => (sources.has(event.source) ? match(event, context) : null),
  };
}

/** Compiles a validated config (see parseRiskModelConfig) for scoring. */
export function compileRiskModel(config: RiskModelConfig): RiskModel {
  return {
    config,
    patterns: config.falsePositivePatterns.map(compilePattern),
    privilegedGlobs: config.privileged.namePatterns.map(compileGlob),
  };
}
