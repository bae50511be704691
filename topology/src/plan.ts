import type { DesiredTopic } from './spec';

// Pure planning: desired topics vs what the cluster has -> what apply does and what it reports.
//
// apply creates missing topics and raises partition counts. It never deletes, never lowers
// partitions (Kafka cannot), never changes replication, and does not alter configs of existing
// topics: a changed cleanup.policy or retention.ms has data consequences (compaction discards
// history, a shorter retention deletes it) that a person should decide, and kafkajs only offers the
// non-incremental AlterConfigs call, which would reset every other dynamic config of the topic.
// Those differences are reported as drift with the command that would fix them.
//
// Raising partitions of a compacted topic is drift too unless allowed: records of one key land on a
// new partition while the old partition keeps its older version, so compacted readers see two
// "latest" versions of the key until tombstoned.

export interface ActualTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Current values of (at least) the managed config keys. */
  configs: Record<string, string | undefined>;
}

export type DriftItem =
  | { kind: 'partitions-fewer-wanted'; desired: number; actual: number }
  | { kind: 'partitions-compacted'; desired: number; actual: number }
  | { kind: 'replication-factor'; desired: number; actual: number }
  | { kind: 'config'; key: string; desired: string; actual: string | undefined };

export type TopicChange =
  | { kind: 'create'; topic: string; partitions: number; replicationFactor: number; configs: Record<string, string> }
  | { kind: 'add-partitions'; topic: string; from: number; to: number };

export interface TopicPlan {
  topic: string;
  change: TopicChange | null;
  drift: DriftItem[];
}

export interface PlanOptions {
  /** Raise partitions of compacted topics too (see above). */
  allowCompactedRepartition?: boolean;
}

export function planTopic(desired: DesiredTopic, actual: ActualTopic | undefined, options: PlanOptions = {}): TopicPlan {
  if (actual === undefined) {
    return {
      topic: desired.name,
      change: { kind: 'create', topic: desired.name, partitions: desired.partitions, replicationFactor: desired.replicationFactor, configs: desired.configs },
      drift: [],
    };
  }
  const drift: DriftItem[] = [];
  let change: TopicChange | null = null;
  if (desired.partitions < actual.partitions) {
    drift.push({ kind: 'partitions-fewer-wanted', desired: desired.partitions, actual: actual.partitions });
  } else if (desired.partitions > actual.partitions) {
    if (desired.spec.cleanupPolicy === 'compact' && options.allowCompactedRepartition !== true) {
      drift.push({ kind: 'partitions-compacted', desired: desired.partitions, actual: actual.partitions });
    } else {
      change = { kind: 'add-partitions', topic: desired.name, from: actual.partitions, to: desired.partitions };
    }
  }
  if (desired.replicationFactor !== actual.replicationFactor) {
    drift.push({ kind: 'replication-factor', desired: desired.replicationFactor, actual: actual.replicationFactor });
  }
  for (const [key, value] of Object.entries(desired.configs)) {
    const current = actual.configs[key];
    if (!sameConfigValue(key, value, current)) drift.push({ kind: 'config', key, desired: value, actual: current });
  }
  return { topic: desired.name, change, drift };
}

export function planTopology(desired: readonly DesiredTopic[], actual: ReadonlyMap<string, ActualTopic>, options: PlanOptions = {}): TopicPlan[] {
  return desired.map((topic) => planTopic(topic, actual.get(topic.name), options));
}

/** Managed config keys, for describing only what matters. */
export const managedConfigKeys = (desired: readonly DesiredTopic[]): string[] =>
  [...new Set(desired.flatMap((t) => Object.keys(t.configs)))].sort();

function sameConfigValue(key: string, desired: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  // cleanup.policy is a list: "compact,delete" equals "delete,compact".
  if (key === 'cleanup.policy') return normalizeList(desired) === normalizeList(actual);
  return desired.trim() === actual.trim();
}
const normalizeList = (value: string): string => value.split(',').map((s) => s.trim()).filter(Boolean).sort().join(',');

/** One line per finding, for the report. */
export function describeDrift(topic: string, item: DriftItem): string {
  switch (item.kind) {
    case 'partitions-fewer-wanted':
      return `wants ${item.desired} partitions, has ${item.actual}: Kafka cannot remove partitions; left as is`;
    case 'partitions-compacted':
      return `wants ${item.desired} partitions, has ${item.actual}: not raised on a compacted topic (keys would move); rerun with --allow-compacted-repartition after a migration plan`;
    case 'replication-factor':
      return `wants replication factor ${item.desired}, has ${item.actual}: needs a partition reassignment (kafka-reassign-partitions.sh); left as is`;
    case 'config':
      return `${item.key} wants ${item.desired}, has ${item.actual ?? '(unset)'}: not altered; fix with kafka-configs.sh --bootstrap-server <b> --alter --entity-type topics --entity-name ${topic} --add-config ${item.key}=${item.desired}`;
  }
}

export interface PlanSummary { create: number; addPartitions: number; inSync: number; drifted: number }

export function summarize(plans: readonly TopicPlan[]): PlanSummary {
  return {
    create: plans.filter((p) => p.change?.kind === 'create').length,
    addPartitions: plans.filter((p) => p.change?.kind === 'add-partitions').length,
    inSync: plans.filter((p) => p.change === null && p.drift.length === 0).length,
    drifted: plans.filter((p) => p.drift.length > 0).length,
  };
}
