import type { Severity } from '@seam/schemas/records/verdict';
import type { RiskModelConfig } from './config';

export type { Severity };
export type SeverityThresholds = RiskModelConfig['thresholds'];

/** Lowest first, so a larger rank is more severe. */
export const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export function severityRank(severity: Severity): number {
  switch (severity) {
    case 'info': return 0;
    case 'low': return 1;
    case 'medium': return 2;
    case 'high': return 3;
    case 'critical': return 4;
  }
}

export const atLeast = (severity: Severity, minimum: Severity): boolean => severityRank(severity) >= severityRank(minimum);
export const maxSeverity = (a: Severity, b: Severity): Severity => (severityRank(a) >= severityRank(b) ? a : b);

/** score >= critical -> critical, >= high -> high, >= medium -> medium, >= low -> low, else info. */
export function severityOf(score: number, thresholds: SeverityThresholds): Severity {
  if (score >= thresholds.critical) return 'critical';
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.medium) return 'medium';
  if (score >= thresholds.low) return 'low';
  return 'info';
}

/** The lowest score that has `severity`. */
export function minimumScoreOf(severity: Severity, thresholds: SeverityThresholds): number {
  switch (severity) {
    case 'info': return 0;
    case 'low': return thresholds.low;
    case 'medium': return thresholds.medium;
    case 'high': return thresholds.high;
    case 'critical': return thresholds.critical;
  }
}
