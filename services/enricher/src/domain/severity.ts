/**
 * Source severities onto Seam's 0-100 scale. The tables are repeated in the README; keep both in
 * step. Every function returns the value and a one-line reason for the explanation trail.
 */

export interface MappedSeverity {
  readonly value: number;
  readonly reason: string;
}

const clamp100 = (value: number): number => Math.min(100, Math.max(0, Math.round(value)));

/**
 * QRadar offense severity is 0-10 (how dangerous the activity is); magnitude (0-10) is QRadar's own
 * blend of severity, relevance and credibility. Seam uses severity x 10, and falls back to
 * magnitude x 10 only when severity is absent.
 */
export function qradarSeverity(severity: number | undefined, magnitude: number | undefined): MappedSeverity {
  if (severity !== undefined) return { value: clamp100(severity * 10), reason: `qradar severity ${severity}/10` };
  if (magnitude !== undefined) return { value: clamp100(magnitude * 10), reason: `qradar magnitude ${magnitude}/10 (no severity)` };
  return { value: 0, reason: 'qradar: no severity or magnitude' };
}

export const ASFF_LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type AsffLabel = (typeof ASFF_LABELS)[number];

/** ASFF's documented Label <-> Normalized bands, with the value Seam uses for a bare Label. */
const ASFF_BANDS: Record<AsffLabel, { min: number; max: number; value: number }> = {
  INFORMATIONAL: { min: 0, max: 0, value: 0 },
  LOW: { min: 1, max: 39, value: 30 },
  MEDIUM: { min: 40, max: 69, value: 55 },
  HIGH: { min: 70, max: 89, value: 80 },
  CRITICAL: { min: 90, max: 100, value: 95 },
};

function labelOfNormalized(normalized: number): AsffLabel {
  if (normalized >= 90) return 'CRITICAL';
  if (normalized >= 70) return 'HIGH';
  if (normalized >= 40) return 'MEDIUM';
  if (normalized >= 1) return 'LOW';
  return 'INFORMATIONAL';
}

/**
 * ASFF: Severity.Label is authoritative (Normalized is deprecated). Normalized is used when it lies
 * inside the Label's band (it is finer), the band's value when it does not or is absent, and
 * Normalized alone when there is no Label.
 */
export function asffSeverity(label: AsffLabel | undefined, normalized: number | undefined): MappedSeverity | null {
  if (label !== undefined) {
    const band = ASFF_BANDS[label];
    if (normalized !== undefined && normalized >= band.min && normalized <= band.max) {
      return { value: clamp100(normalized), reason: `asff ${label} normalized ${normalized}` };
    }
    return { value: band.value, reason: `asff label ${label}` };
  }
  if (normalized !== undefined) {
    return { value: clamp100(normalized), reason: `asff normalized ${normalized} (${labelOfNormalized(normalized)})` };
  }
  return null;
}

/**
 * GuardDuty severity is 0.1-10 in bands Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0+.
 * x 10 puts each band exactly onto ASFF's (LOW 1-39, MEDIUM 40-69, HIGH 70-89, CRITICAL 90-100).
 */
export function guarddutySeverity(severity: number): MappedSeverity {
  const band = severity >= 9 ? 'critical' : severity >= 7 ? 'high' : severity >= 4 ? 'medium' : 'low';
  return { value: clamp100(Math.max(severity * 10, severity > 0 ? 1 : 0)), reason: `guardduty severity ${severity} (${band})` };
}
