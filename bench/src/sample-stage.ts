/**
 * The kit's sample pass-through stage as a child process, as both the kit pass-through and the
 * correlator benchmarks run it (the latter as its reference in the same run).
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The pass-through needs no Redis: do not hand it the endpoints (the kit would connect). */
export function withoutRedis(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { REDIS_URL: _url, REDIS_CLUSTER_NODES: _nodes, ...rest } = env;
  return rest;
}

export interface SampleStageOptions {
  readonly root: string;
  readonly input: string;
  readonly output: string;
  readonly group: string;
  readonly codec: 'avro' | 'bytes';
  readonly concurrency: number;
  /** Another copy of the sample main (a baseline kit); default the kit's own. */
  readonly main?: string;
  readonly nodeFlags?: readonly string[];
}

export function spawnSampleStage(options: SampleStageOptions): ChildProcess {
  return spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', options.main ?? 'services/kit/src/sample/main.ts'], {
    cwd: options.root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...withoutRedis(process.env),
      SAMPLE_INPUT_TOPIC: options.input,
      SAMPLE_OUTPUT_TOPIC: options.output,
      SAMPLE_CODEC: options.codec,
      KAFKA_GROUP_ID: options.group,
      KAFKA_CONCURRENCY: String(options.concurrency),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      SCHEMA_REGISTRY_AUTO_REGISTER: 'true',
    },
  });
}
