import type { MitreTechnique, SourceSystem } from '@seam/schemas/records/common';
import type { Incident, IncidentMember } from '@seam/schemas/records/incident';
import type { Asset, SecurityEvent } from '@seam/schemas/records/security-event';
import type { ScoringContext, ScoringInput } from './input';
import type { CompiledPattern, RiskModel } from './model';
import { minimumScoreOf, severityOf, severityRank, type Severity } from './severity';
import { tacticKey } from './tactics';
import { matchesAny, sanitizeText } from './text';

/** One term of the score. `evidence` is the member eventIds the term relies on. */
export interface Factor {
  readonly name: string;
  readonly points: number;
  readonly detail: string;
  readonly evidence: readonly string[];
}

export interface TargetedAsset {
  readonly asset: Asset;
  readonly eventId: string;
}

export interface PatternMatch {
  readonly pattern: CompiledPattern;
  /** Matched members / all members (0-1]. */
  readonly coverage: number;
  readonly eventIds: readonly string[];
}

/** Everything the verdict is built from; computed in one pass over the members. */
export interface Assessment {
  readonly factors: readonly Factor[];
  readonly score: number;
  readonly severity: Severity;
  /** The minimum severity the incident may have (critical asset floor), null when none applies. */
  readonly floor: Severity | null;
  readonly confidence: number;
  readonly falsePositiveLikelihood: number;
  readonly mostCriticalAsset: TargetedAsset | null;
  readonly patternMatches: readonly PatternMatch[];
  /** Member eventIds, in member order, that some factor relies on. */
  readonly evidence: readonly string[];
  /** Member events by id (only those supplied). */
  readonly events: ReadonlyMap<string, SecurityEvent>;
  readonly instanceIds: readonly string[];
  readonly mitre: readonly MitreTechnique[];
  readonly sources: readonly SourceSystem[];
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const clamp = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));
const show = (value: string): string => sanitizeText(value, 64);
/** Unavailable member events named in the `incomplete-context` factor; the rest are counted. */
const MAX_NAMED_ABSENT = 3;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const INSTANCE_ARN = /^arn:aws[a-z-]*:ec2:[^:]*:\d*:instance\/(i-[0-9a-f]{8,17})$/;

/** Keeps, per member id, the newest event (by sourceUpdatedAt, then ingestedAt) so input order never matters. */
export function memberEvents(incident: Incident, events: readonly SecurityEvent[]): Map<string, SecurityEvent> {
  const members = new Set<string>();
  for (const member of incident.members) members.add(member.eventId);
  const byId = new Map<string, SecurityEvent>();
  for (const event of events) {
    if (!members.has(event.eventId)) continue;
    const held = byId.get(event.eventId);
    if (held === undefined || event.sourceUpdatedAt > held.sourceUpdatedAt
      || (event.sourceUpdatedAt === held.sourceUpdatedAt && event.ingestedAt > held.ingestedAt)) {
      byId.set(event.eventId, event);
    }
  }
  return byId;
}

/**
 * The roles an event gives its keys. Assets and vulnerabilities are matched by key: one is
 * "targeted" unless its key appears on the event only as an actor (the attacker's own machine).
 */
export function targetingOf(event: SecurityEvent): (key: string) => boolean {
  const { ips, hosts } = event.entities;
  return (key) => {
    let actor = false;
    for (const ip of ips) {
      if (!sameKey(ip.address, key)) continue;
      if (ip.role === 'target') return true;
      actor = true;
    }
    for (const host of hosts) {
      if (!sameKey(host.name, key)) continue;
      if (host.role === 'target') return true;
      actor = true;
    }
    return !actor;
  };
}

const sameKey = (a: string, b: string): boolean => a.length === b.length && (a === b || a.toLowerCase() === b.toLowerCase());

function instanceIdOf(resource: string): string | null {
  if (INSTANCE_ID.test(resource)) return resource;
  return INSTANCE_ARN.exec(resource)?.[1] ?? null;
}

function isPrivileged(model: RiskModel, context: ScoringContext, canonical: string, raw: string, kind: string, flag: boolean | null | undefined): boolean {
  return kind === 'root'
    || flag === true
    || context.privilegedIdentities?.has(canonical) === true
    || matchesAny(model.privilegedGlobs, canonical)
    || matchesAny(model.privilegedGlobs, raw);
}

const betterAsset = (a: Asset, b: Asset): boolean => a.criticality > b.criticality || (a.criticality === b.criticality && a.key < b.key);

function mitreKey(technique: MitreTechnique): string {
  return `${technique.tactic ?? ''}\u0000${technique.technique ?? ''}\u0000${technique.name ?? ''}`;
}

function diversity(name: string, count: number, per: number, max: number, what: string, evidence: readonly string[]): Factor | null {
  if (count < 2) return null;
  return { name, points: round1(Math.min(max, per * (count - 1))), detail: `${count} distinct ${what}`, evidence };
}

/** Scores an incident. Pure and deterministic: the same input always yields the same assessment. */
export function assess(input: ScoringInput, model: RiskModel): Assessment {
  const { incident } = input;
  const context: ScoringContext = input.context ?? {};
  const { config } = model;
  const weights = config.weights;
  const events = memberEvents(incident, input.events);
  const members: readonly IncidentMember[] = incident.members;
  const factors: Factor[] = [];

  // Source severity: the strongest member, plus corroborating members at or above the spread bar.
  let top: IncidentMember | null = null;
  const elevated: string[] = [];
  const firstBySource = new Map<SourceSystem, string>();
  for (const member of members) {
    if (top === null || member.sourceSeverity > top.sourceSeverity) top = member;
    if (member.sourceSeverity >= weights.severitySpread.threshold) elevated.push(member.eventId);
    if (!firstBySource.has(member.source)) firstBySource.set(member.source, member.eventId);
  }
  if (top !== null) {
    factors.push({
      name: 'source-severity',
      points: round1(top.sourceSeverity * weights.sourceSeverity),
      detail: `max source severity ${top.sourceSeverity} of ${members.length} member(s)`,
      evidence: [top.eventId],
    });
  }
  if (elevated.length > 1) {
    factors.push({
      name: 'severity-spread',
      points: round1(Math.min(weights.severitySpread.max, weights.severitySpread.perMember * (elevated.length - 1))),
      detail: `${elevated.length} members at or above severity ${weights.severitySpread.threshold}`,
      evidence: elevated,
    });
  }

  // One pass over the member events for enrichment, identities, tactics and patterns.
  let bestAsset: TargetedAsset | null = null;
  let exposed: TargetedAsset | null = null;
  let bestVuln: { points: number; cve: string; host: string; cvss: number | null; eventId: string } | null = null;
  let bestIntel: { points: number; verdict: string; indicator: string; source: string; score: number | null; eventId: string } | null = null;
  let anyMalicious = false;
  let privileged: { identity: string; eventIds: string[] } | null = null;
  const missing = new Set<string>();
  const tactics = new Set<string>();
  const tacticEvidence: string[] = [];
  const mitre = new Map<string, MitreTechnique>();
  const instanceIds = new Set<string>();
  const patternHits: string[][] = model.patterns.map(() => []);
  const patternValues: (string | null)[] = model.patterns.map(() => null);
  let unavailable = 0;
  const absentIds: string[] = [];
  let notLoaded = 0;

  for (const member of members) {
    const event = events.get(member.eventId);
    if (event === undefined) {
      unavailable += 1;
      if (context.notLoaded?.eventIds.has(member.eventId) === true) notLoaded += 1;
      else absentIds.push(member.eventId);
      continue;
    }
    const eventId = event.eventId;
    const targeted = targetingOf(event);
    const { enrichment } = event;
    for (const asset of enrichment.assets) {
      if (!targeted(asset.key)) continue;
      if (bestAsset === null || betterAsset(asset, bestAsset.asset)) bestAsset = { asset, eventId };
      if (asset.internetFacing && (exposed === null || betterAsset(asset, exposed.asset))) exposed = { asset, eventId };
    }
    for (const vuln of enrichment.vulns) {
      if (!vuln.exploitAvailable || !targeted(vuln.host)) continue;
      const fraction = Math.max(weights.exploitableVulnerability.minFraction, (vuln.cvss ?? 10) / 10);
      const points = round1(weights.exploitableVulnerability.max * fraction);
      if (bestVuln === null || points > bestVuln.points) bestVuln = { points, cve: vuln.cve, host: vuln.host, cvss: vuln.cvss, eventId };
    }
    for (const hit of enrichment.intel) {
      if (hit.verdict !== 'malicious' && hit.verdict !== 'suspicious') continue;
      if (hit.verdict === 'malicious') anyMalicious = true;
      const weight = hit.verdict === 'malicious' ? weights.threatIntel.malicious : weights.threatIntel.suspicious;
      const points = round1(weight * (hit.score ?? 100) / 100);
      if (bestIntel === null || points > bestIntel.points) {
        bestIntel = { points, verdict: hit.verdict, indicator: hit.indicator, source: hit.source, score: hit.score, eventId };
      }
    }
    for (const provider of enrichment.missing) missing.add(provider);
    for (const identity of event.entities.identities) {
      if (!isPrivileged(model, context, identity.canonical, identity.raw, identity.kind, identity.privileged)) continue;
      if (privileged === null) privileged = { identity: identity.canonical, eventIds: [eventId] };
      else if (privileged.eventIds[privileged.eventIds.length - 1] !== eventId) privileged.eventIds.push(eventId);
    }
    let hasTactic = false;
    for (const technique of event.mitre) {
      mitre.set(mitreKey(technique), technique);
      if (technique.tactic !== null) {
        tactics.add(tacticKey(technique.tactic));
        hasTactic = true;
      }
    }
    if (hasTactic) tacticEvidence.push(eventId);
    for (const resource of event.entities.cloudResources) {
      const instance = instanceIdOf(resource);
      if (instance !== null) instanceIds.add(instance);
    }
    for (let index = 0; index < model.patterns.length; index += 1) {
      const matched = model.patterns[index]?.match(event, context) ?? null;
      if (matched === null) continue;
      patternHits[index]?.push(eventId);
      if (patternValues[index] === null) patternValues[index] = matched;
    }
  }
  // Incident tactics the events did not already name join the MITRE union as tactic-only entries.
  for (const tactic of incident.tactics) {
    const key = tacticKey(tactic);
    if (tactics.has(key)) continue;
    tactics.add(key);
    mitre.set(mitreKey({ tactic, technique: null, name: null }), { tactic, technique: null, name: null });
  }

  if (bestAsset !== null) {
    const points = weights.assetCriticality[bestAsset.asset.criticality - 1] ?? 0;
    factors.push({
      name: 'asset-criticality',
      points: round1(points),
      detail: `targeted asset ${show(bestAsset.asset.key)} has criticality ${bestAsset.asset.criticality}`,
      evidence: [bestAsset.eventId],
    });
  }
  if (bestVuln !== null) {
    factors.push({
      name: 'exploitable-vulnerability',
      points: bestVuln.points,
      detail: `${show(bestVuln.cve)} (cvss ${bestVuln.cvss ?? 'unknown'}) with a public exploit on ${show(bestVuln.host)}`,
      evidence: [bestVuln.eventId],
    });
  }
  if (bestIntel !== null) {
    factors.push({
      name: 'threat-intel',
      points: bestIntel.points,
      detail: `${show(bestIntel.indicator)} rated ${bestIntel.verdict} (score ${bestIntel.score ?? 'n/a'}) by ${show(bestIntel.source)}`,
      evidence: [bestIntel.eventId],
    });
  }
  if (privileged !== null) {
    factors.push({
      name: 'privileged-identity',
      points: round1(weights.privilegedIdentity),
      detail: `privileged identity ${show(privileged.identity)} involved`,
      evidence: privileged.eventIds,
    });
  }
  if (exposed !== null) {
    factors.push({
      name: 'internet-exposure',
      points: round1(weights.internetExposure),
      detail: `targeted asset ${show(exposed.asset.key)} is internet-facing`,
      evidence: [exposed.eventId],
    });
  }
  if (incident.hybrid) {
    factors.push({
      name: 'hybrid-link',
      points: round1(weights.hybridLink),
      detail: 'on-prem and cloud activity joined in one incident',
      evidence: [...firstBySource.values()],
    });
  }
  const tacticFactor = diversity('tactic-diversity', tactics.size, weights.tacticDiversity.per, weights.tacticDiversity.max, 'ATT&CK tactics', tacticEvidence);
  if (tacticFactor !== null) factors.push(tacticFactor);
  const sourceFactor = diversity('source-diversity', firstBySource.size, weights.sourceDiversity.per, weights.sourceDiversity.max, 'sources', [...firstBySource.values()]);
  if (sourceFactor !== null) factors.push(sourceFactor);
  if (incident.late.length > 0) {
    const late = incident.late.map((entry) => entry.eventId);
    factors.push({
      name: 'late-members',
      points: round1(weights.lateMembers),
      detail: `${late.length} member(s) arrived after the grace period`,
      evidence: late,
    });
  }
  if (incident.hotKeys.length > 0) {
    const first = incident.hotKeys[0];
    factors.push({
      name: 'hot-keys',
      points: round1(weights.hotKeys),
      detail: `${incident.hotKeys.length + incident.hotKeysOmitted} hot key(s) stopped linking${first === undefined ? '' : `, e.g. ${first.kind} ${show(first.value)} seen with ${first.distinctIdentities} identities`}`,
      evidence: [],
    });
  }

  // Known false-positive patterns: full points when every member matches, scaled by coverage.
  const patternMatches: PatternMatch[] = [];
  for (const [index, pattern] of model.patterns.entries()) {
    const hits = patternHits[index] ?? [];
    if (hits.length === 0) continue;
    const coverage = hits.length / members.length;
    patternMatches.push({ pattern, coverage, eventIds: hits });
    factors.push({
      name: `known-fp:${pattern.name}`,
      points: round1(pattern.points * coverage),
      detail: `${pattern.kind} pattern ${pattern.name} matched ${hits.length} of ${members.length} member(s) (${show(patternValues[index] ?? '')})`,
      evidence: hits,
    });
  }

  if (missing.size > 0 || unavailable > 0) {
    const parts: string[] = [];
    if (missing.size > 0) parts.push(`enrichment missing from ${[...missing].sort().map(show).join(', ')}`);
    if (absentIds.length > 0) {
      const named = absentIds.slice(0, MAX_NAMED_ABSENT).map(show).join(', ');
      const more = absentIds.length > MAX_NAMED_ABSENT ? `, +${absentIds.length - MAX_NAMED_ABSENT} more` : '';
      parts.push(`${absentIds.length} member event(s) unavailable (${named}${more})`);
    }
    if (notLoaded > 0) {
      parts.push(`${notLoaded} member event(s) not loaded: over the cap of ${context.notLoaded?.cap ?? 0} members per incident, the most severe were loaded`);
    }
    factors.push({ name: 'incomplete-context', points: 0, detail: parts.join('; '), evidence: [] });
  }

  // Score = clamp(0, 100, round(sum)); then the critical-asset floor, as a factor of its own, so
  // that severity always follows from the score.
  let sum = 0;
  for (const factor of factors) sum += factor.points;
  const { thresholds } = config;
  const floor = bestAsset !== null && bestAsset.asset.criticality >= config.criticalAssetFloor.criticality
    ? config.criticalAssetFloor.severity
    : null;
  if (floor !== null && severityRank(severityOf(clamp(Math.round(sum), 0, 100), thresholds)) < severityRank(floor)) {
    const points = Math.ceil((minimumScoreOf(floor, thresholds) - sum) * 10 - 1e-6) / 10;
    factors.push({
      name: 'critical-asset-floor',
      points,
      detail: `an asset of criticality ${bestAsset?.asset.criticality ?? config.criticalAssetFloor.criticality} is targeted: severity at least ${floor}`,
      evidence: bestAsset === null ? [] : [bestAsset.eventId],
    });
    sum += points;
  }
  const score = clamp(Math.round(sum), 0, 100);
  const severity = severityOf(score, thresholds);

  // Confidence: independent corroboration and enrichment raise it, gaps lower it.
  const c = config.confidence;
  let confidence = c.base;
  confidence += Math.min(c.maxCorroboration,
    c.perExtraSource * Math.max(0, firstBySource.size - 1) + c.perExtraMember * Math.max(0, members.length - 1));
  if (bestAsset !== null || bestVuln !== null || bestIntel !== null) confidence += c.enrichmentHit;
  confidence -= Math.min(c.maxMissingPenalty, c.perMissingProvider * missing.size + c.perUnavailableEvent * unavailable);
  if (incident.late.length > 0) confidence -= c.late;
  if (patternMatches.some((match) => match.coverage === 1)) confidence += c.fullPatternMatch;
  confidence = round2(clamp(confidence, c.min, c.max));

  // False-positive likelihood: 1 - (1 - prior) * prod(1 - likelihood_i * coverage_i).
  let notFalse = 1 - config.falsePositive.prior;
  for (const match of patternMatches) notFalse *= 1 - match.pattern.likelihood * match.coverage;
  let falsePositiveLikelihood = 1 - notFalse;
  if (anyMalicious) falsePositiveLikelihood *= config.falsePositive.maliciousIntelFactor;
  falsePositiveLikelihood = round2(clamp(falsePositiveLikelihood, 0, 1));

  const order = new Map<string, number>();
  for (const [index, member] of members.entries()) if (!order.has(member.eventId)) order.set(member.eventId, index);
  const cited = new Set<string>();
  for (const factor of factors) for (const id of factor.evidence) if (order.has(id)) cited.add(id);
  const evidence = [...cited].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));

  const mitreList = [...mitre.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, technique]) => technique);

  return {
    factors,
    score,
    severity,
    floor,
    confidence,
    falsePositiveLikelihood,
    mostCriticalAsset: bestAsset,
    patternMatches,
    evidence,
    events,
    instanceIds: [...instanceIds].sort(),
    mitre: mitreList,
    sources: [...firstBySource.keys()],
  };
}
