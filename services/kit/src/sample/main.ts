/**
 * Runnable sample stage: `tsx services/kit/src/sample/main.ts` with the common variables plus
 * SAMPLE_INPUT_TOPIC, SAMPLE_OUTPUT_TOPIC, SAMPLE_CODEC (avro | json | bytes) and
 * SAMPLE_SIMULATE_FAILURES.
 */
import { z } from 'zod';
import { jsonCodec } from '../codec';
import { ConfigError, defineConfigSchema, envBool, loadConfig } from '../config';
import { createKit } from '../kit';
import { runStage } from '../process';
import { bytesPassthroughStage, sampleEventAvroSchema, sampleEventStage, type SampleEvent } from './passthrough-stage';

const schema = defineConfigSchema({
  SAMPLE_INPUT_TOPIC: z.string().min(1),
  SAMPLE_OUTPUT_TOPIC: z.string().min(1),
  SAMPLE_CODEC: z.enum(['avro', 'json', 'bytes']).default('avro'),
  SAMPLE_SIMULATE_FAILURES: envBool(false),
});

function readConfig() {
  try {
    return loadConfig(schema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const kit = createKit(config, { service: 'sample-passthrough' });
const topics = { inputTopic: config.SAMPLE_INPUT_TOPIC, outputTopic: config.SAMPLE_OUTPUT_TOPIC };

switch (config.SAMPLE_CODEC) {
  case 'bytes':
    await runStage(bytesPassthroughStage(topics), kit);
    break;
  case 'json':
    await runStage(sampleEventStage({ ...topics, codec: jsonCodec<SampleEvent>(), simulateFailures: config.SAMPLE_SIMULATE_FAILURES }), kit);
    break;
  case 'avro':
    await runStage(sampleEventStage({ ...topics, codec: kit.avro<SampleEvent>(sampleEventAvroSchema), simulateFailures: config.SAMPLE_SIMULATE_FAILURES }), kit);
    break;
}
