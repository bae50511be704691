import { parseArgs } from 'node:util';
import { z } from 'zod';
import { applyTopology, formatOutcomes } from './apply';
import { kafkaConfigFromEnv } from './kafka-connection';
import { renderJson, renderMermaid, renderTable } from './render';
import { desiredTopics } from './topics';

// npx tsx topology/src/cli.ts describe [--format table|mermaid|json] [options]
// npx tsx topology/src/cli.ts apply [--dry-run] [--fail-on-drift] [--allow-compacted-repartition] [options]
// options: --prefix <p> --profile dev|production --replication-factor <n> --partitions <topic>=<n> (repeatable)
// Connection (apply): KAFKA_BROKERS, KAFKA_SSL, KAFKA_SSL_CA(_FILE), KAFKA_SASL_MECHANISM/USERNAME/PASSWORD.

const usage = 'usage: cli.ts describe|apply [--format table|mermaid|json] [--prefix p] [--profile dev|production] '
  + '[--replication-factor n] [--partitions topic=n]... [--dry-run] [--fail-on-drift] [--allow-compacted-repartition]';

const argsSchema = z.object({
  format: z.enum(['table', 'mermaid', 'json']).default('table'),
  prefix: z.string().default(''),
  profile: z.enum(['dev', 'production']).default('dev'),
  'replication-factor': z.coerce.number().int().min(1).optional(),
  partitions: z.array(z.string().regex(/^[^=]+=\d+$/, 'expected <topic>=<count>')).default([]),
  'dry-run': z.boolean().default(false),
  'fail-on-drift': z.boolean().default(false),
  'allow-compacted-repartition': z.boolean().default(false),
});

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' }, prefix: { type: 'string' }, profile: { type: 'string' },
      'replication-factor': { type: 'string' }, partitions: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' }, 'fail-on-drift': { type: 'boolean' }, 'allow-compacted-repartition': { type: 'boolean' },
    },
  });
  const args = argsSchema.parse(values);
  const partitions = Object.fromEntries(args.partitions.map((p) => {
    const [topic = '', count = ''] = p.split('=');
    return [topic, Number(count)];
  }));
  const desired = desiredTopics({
    prefix: args.prefix, profile: args.profile, partitions,
    ...(args['replication-factor'] === undefined ? {} : { replicationFactor: args['replication-factor'] }),
  });

  switch (positionals[0] ?? '') {
    case 'describe':
      console.log(args.format === 'mermaid' ? renderMermaid(desired) : args.format === 'json' ? renderJson(desired) : renderTable(desired));
      return 0;
    case 'apply': {
      // Loaded here so describe works without a Kafka client.
      const { connectCluster } = await import('./cluster');
      const cluster = await connectCluster(kafkaConfigFromEnv(process.env));
      try {
        const outcomes = await applyTopology(cluster, desired, { dryRun: args['dry-run'], allowCompactedRepartition: args['allow-compacted-repartition'] });
        console.log(formatOutcomes(outcomes, args['dry-run']));
        if (outcomes.some((o) => o.result === 'failed')) return 1;
        if (args['fail-on-drift'] && outcomes.some((o) => o.plan.drift.length > 0)) return 3;
        return 0;
      } finally {
        await cluster.close();
      }
    }
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    console.error(`topology: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
