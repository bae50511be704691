import type { CorrelationConfig } from './config';
import type { KeyKind, KeyOccurrence } from './keys';

/**
 * DESIGN §3 roles: identities link whatever their role; an IP links when both events have it as
 * actor, or when one's target is the other's actor (lateral-movement pivot). Two events that merely
 * share a target (a VPN gateway, a domain controller) do not link.
 */
export const rolesLink = (a: KeyOccurrence, b: KeyOccurrence): boolean => {
  if (a.kind === 'identity' && b.kind === 'identity') return true;
  const bothActors = a.actor && b.actor;
  const pivot = (a.target && b.actor) || (a.actor && b.target);
  return bothActors || pivot;
};

export const windowFor = (config: CorrelationConfig, kind: KeyKind): number => config.windowMs[kind];

/** Inclusive: events exactly W apart link; W + 1 ms apart do not. */
export const withinWindow = (config: CorrelationConfig, kind: KeyKind, a: number, b: number): boolean =>
  Math.abs(a - b) <= windowFor(config, kind);
