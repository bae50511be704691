import type { DesiredTopic, TopicConsumer } from './spec';

// describe: a table, a Mermaid flowchart, or JSON of the desired topology.

const consumerLabel = (c: TopicConsumer): string => (c.kind === 'stage' ? `${c.service} (${c.group})` : `${c.name} (external)`);

export function formatRetention(ms: number | null): string {
  if (ms === null) return 'n/a (compact)';
  if (ms === -1) return 'forever';
  const day = 86_400_000;
  return ms % day === 0 ? `${ms / day}d` : `${ms}ms`;
}

export function renderTable(topics: readonly DesiredTopic[]): string {
  const header = ['topic', 'partitions', 'key', 'cleanup', 'retention', 'value schema', 'producers', 'consumers'];
  const rows = topics.map((t) => [
    t.name,
    `${t.partitions} x RF${t.replicationFactor}`,
    t.spec.key,
    t.spec.cleanupPolicy,
    formatRetention(t.spec.retentionMs),
    t.spec.wire === 'avro' ? t.spec.valueSchema : `original bytes (view: ${t.spec.valueSchema})`,
    t.spec.producers.join(', ') || '-',
    t.spec.consumers.map(consumerLabel).join(', ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

const nodeId = (kind: 'svc' | 'topic' | 'ext', name: string): string => `${kind}_${name.replace(/[^a-zA-Z0-9]/g, '_')}`;

export function renderMermaid(topics: readonly DesiredTopic[]): string {
  const lines = ['flowchart LR'];
  const services = new Set<string>();
  const externals = new Set<string>();
  for (const t of topics) {
    for (const p of t.spec.producers) services.add(p);
    for (const c of t.spec.consumers) (c.kind === 'stage' ? services : externals).add(c.kind === 'stage' ? c.service : c.name);
  }
  for (const s of services) lines.push(`  ${nodeId('svc', s)}["${s}"]`);
  for (const e of externals) lines.push(`  ${nodeId('ext', e)}[/"${e}"/]`);
  for (const t of topics) lines.push(`  ${nodeId('topic', t.name)}[("${t.name}")]`);
  for (const t of topics) {
    const topic = nodeId('topic', t.name);
    const arrow = t.spec.kind === 'dlq' ? '-.->' : '-->';
    for (const p of t.spec.producers) lines.push(`  ${nodeId('svc', p)} ${arrow} ${topic}`);
    for (const c of t.spec.consumers) lines.push(`  ${topic} --> ${c.kind === 'stage' ? nodeId('svc', c.service) : nodeId('ext', c.name)}`);
  }
  return lines.join('\n');
}

export function renderJson(topics: readonly DesiredTopic[]): string {
  return JSON.stringify(topics.map((t) => ({
    ...t.spec, name: t.name, baseName: t.spec.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: t.configs,
  })), null, 2);
}
