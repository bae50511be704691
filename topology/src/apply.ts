import type { ClusterPort } from './cluster';
import { describeDrift, managedConfigKeys, planTopology, type PlanOptions, type TopicPlan } from './plan';
import type { DesiredTopic } from './spec';

export interface TopicOutcome {
  topic: string;
  plan: TopicPlan;
  /** created / partitions raised / unchanged / failed */
  result: 'created' | 'partitions-raised' | 'unchanged' | 'failed';
  error: string | null;
}

/** Plans against the cluster and carries out the changes (create, add partitions). Never deletes. */
export async function applyTopology(cluster: ClusterPort, desired: readonly DesiredTopic[], options: PlanOptions & { dryRun?: boolean } = {}): Promise<TopicOutcome[]> {
  const actual = await cluster.describeTopics(desired.map((t) => t.name), managedConfigKeys(desired));
  const plans = planTopology(desired, actual, options);
  const outcomes: TopicOutcome[] = [];
  for (const plan of plans) {
    if (plan.change === null || options.dryRun === true) {
      outcomes.push({ topic: plan.topic, plan, result: 'unchanged', error: null });
      continue;
    }
    try {
      await cluster.apply(plan.change);
      outcomes.push({ topic: plan.topic, plan, result: plan.change.kind === 'create' ? 'created' : 'partitions-raised', error: null });
    } catch (error: unknown) {
      outcomes.push({ topic: plan.topic, plan, result: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcomes;
}

export function formatOutcomes(outcomes: readonly TopicOutcome[], dryRun = false): string {
  const lines: string[] = [];
  const width = Math.max(...outcomes.map((o) => o.topic.length), 5);
  for (const { topic, plan, result, error } of outcomes) {
    const change = plan.change;
    let status: string;
    if (result === 'failed') status = `FAILED ${change?.kind ?? ''}: ${error ?? ''}`;
    else if (change?.kind === 'create') status = `${dryRun ? 'would create' : 'created'} (${change.partitions} partitions, RF ${change.replicationFactor})`;
    else if (change?.kind === 'add-partitions') status = `${dryRun ? 'would raise' : 'raised'} partitions ${change.from} -> ${change.to}`;
    else status = plan.drift.length === 0 ? 'in sync' : 'exists';
    lines.push(`${topic.padEnd(width)}  ${status}`);
    for (const item of plan.drift) lines.push(`${' '.repeat(width)}  DRIFT ${describeDrift(topic, item)}`);
  }
  const count = (r: TopicOutcome['result']): number => outcomes.filter((o) => o.result === r).length;
  const planned = (kind: 'create' | 'add-partitions'): number => outcomes.filter((o) => o.plan.change?.kind === kind).length;
  const drifted = outcomes.filter((o) => o.plan.drift.length > 0).length;
  lines.push(dryRun
    ? `-- ${outcomes.length} topics: ${planned('create')} to create, ${planned('add-partitions')} to raise, ${drifted} with drift (dry run)`
    : `-- ${outcomes.length} topics: ${count('created')} created, ${count('partitions-raised')} raised, ${count('failed')} failed, ${drifted} with drift`);
  return lines.join('\n');
}
