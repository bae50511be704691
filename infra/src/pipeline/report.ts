/**
 * The main job's closing table: incidents with their verdicts and actions, readable in a terminal.
 * Pure: results in, text out. Attacker-controlled strings (titles, summaries) are printed as data:
 * control characters are stripped so a crafted title cannot move the cursor or recolour the
 * terminal.
 */
import type { RunResults } from './results';

// eslint-disable-next-line no-control-regex
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
const cut = (text: string, width: number) => {
  const clean = printable(text);
  return clean.length <= width ? clean : `${clean.slice(0, width - 1)}…`;
};
const pad = (text: string, width: number) => cut(text, width).padEnd(width);

function table(headers: readonly string[], widths: readonly number[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => cells.map((cell, i) => pad(cell, widths[i] ?? 10)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

export function renderReport(results: RunResults): string {
  const lines = results.resultLines();
  lines.sort((a, b) => {
    const sa = SEVERITY_ORDER.indexOf(a.verdict?.severity ?? 'info');
    const sb = SEVERITY_ORDER.indexOf(b.verdict?.severity ?? 'info');
    return sa - sb || (b.verdict?.riskScore ?? 0) - (a.verdict?.riskScore ?? 0);
  });
  const incidentRows = lines.map(({ incident, verdict }) => [
    incident.incidentId.slice(0, 16),
    verdict === null ? '-' : `${verdict.severity} ${verdict.riskScore}`,
    verdict === null ? '-' : verdict.confidence.toFixed(2),
    verdict?.phase ?? '-',
    incident.hybrid ? 'yes' : 'no',
    Object.entries(incident.sources)
      .map(([source, count]) => `${source}:${count}`)
      .join(' '),
    verdict === null ? '-' : verdict.owner.team,
    verdict?.summary ?? incident.members.map((m) => m.title).join('; '),
  ]);
  const actions = [...results.actions.values()].sort((a, b) => a.incidentId.localeCompare(b.incidentId) || a.kind.localeCompare(b.kind) || a.target.localeCompare(b.target));
  // One row per (incident, action, target, state, actor): each verdict version plans its own
  // actions, so the same note or proposal recurs; the count says how often.
  const grouped = new Map<string, { row: string[]; count: number }>();
  for (const a of actions) {
    const row = [a.incidentId.slice(0, 16), a.kind.replace(/_/g, '.'), a.target, a.state, a.actor];
    const key = row.join('\u0000');
    const known = grouped.get(key);
    if (known) known.count++;
    else grouped.set(key, { row, count: 1 });
  }
  const actionRows = [...grouped.values()].map(({ row, count }) => [...row, String(count)]);
  const out = [
    `Incidents (${lines.length}; highest risk first)`,
    table(['incident', 'severity', 'conf', 'verdict', 'hybrid', 'sources', 'owner', 'summary'], [16, 12, 4, 8, 6, 28, 18, 70], incidentRows),
    '',
    `Members`,
    ...lines.map(({ incident }) => `  ${incident.incidentId.slice(0, 16)}  ${incident.members.map((m) => `${m.eventId} (${cut(m.title, 50)})`).join(', ')}`),
    '',
    `Actions (${actions.length}; latest state of each)`,
    actionRows.length === 0 ? '  none' : table(['incident', 'action', 'target', 'state', 'by', 'count'], [16, 24, 40, 10, 16, 5], actionRows),
  ];
  if (results.deadLetters.length > 0) {
    out.push('', `Dead letters (${results.deadLetters.length})`, ...results.deadLetters.map((d) => `  ${d.topic} key=${d.key ?? '-'}: ${cut(d.reason, 160)}`));
  }
  return out.join('\n');
}
