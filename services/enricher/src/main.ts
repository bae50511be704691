/** `npx tsx services/enricher/src/main.ts` with the kit's variables plus those in config.ts. */
import { ConfigError, createKit, loadConfig, runStage, startStage, type AvroSchemaJson, type Kit, type StartStageOptions } from '@seam/kit';
import { schemas } from '@seam/schemas';
import { enricherConfigSchema, type EnricherConfig } from './config';
import type { SecurityEvent } from './domain/security-event';
import { enricherStage } from './stage';
import { buildDirectory, buildEnricher, loadNamespaces } from './wiring';

const avsc = (name: 'OffenseRaw' | 'FindingRaw' | 'SecurityEvent') => schemas[name].avsc as unknown as AvroSchemaJson;

export function buildEnricherStage(config: EnricherConfig, kit: Kit) {
  const directory = buildDirectory(config, kit);
  const enricher = buildEnricher(config, kit);
  const stage = enricherStage({
    topics: { offenses: config.ENRICHER_OFFENSES_TOPIC, findings: config.ENRICHER_FINDINGS_TOPIC, enriched: config.ENRICHER_OUTPUT_TOPIC },
    codecs: {
      offense: kit.avro<unknown>(avsc('OffenseRaw'), { readerSchema: avsc('OffenseRaw') }),
      finding: kit.avro<unknown>(avsc('FindingRaw'), { readerSchema: avsc('FindingRaw') }),
      event: kit.avro<SecurityEvent>(avsc('SecurityEvent')),
    },
    enricher,
    namespaces: loadNamespaces(config.NAMESPACE_MAP_FILE),
    directory: () => directory.current(),
    maxPayloadBytes: config.ENRICHER_MAX_PAYLOAD_BYTES,
    onStart: () => directory.start(),
    onStop: () => directory.stop(),
  });
  return { stage, enricher };
}

export async function startEnricher(config: EnricherConfig, kit: Kit, options: StartStageOptions = {}) {
  const { stage, enricher } = buildEnricherStage(config, kit);
  const handle = await startStage(stage, kit, options);
  return { handle, enricher };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  let built: { kit: Kit; stage: ReturnType<typeof buildEnricherStage>['stage'] };
  try {
    const config = loadConfig(enricherConfigSchema, process.env);
    const kit = createKit(config, { service: 'enricher' });
    built = { kit, stage: buildEnricherStage(config, kit).stage };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  await runStage(built.stage, built.kit);
}
