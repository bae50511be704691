/**
 * aws-ingest entry point: `npx tsx services/aws-ingest/src/main.ts` (configuration from the
 * environment, see config.ts and the README). SIGTERM/SIGINT drain (stop polling after the page in
 * flight, close HTTP, disconnect) and exit 0; a second signal or SHUTDOWN_TIMEOUT_MS exits 1.
 */
import { ConfigError, createKit, loadConfig } from '@seam/kit';
import { awsIngestConfigSchema } from './config';
import { STAGE_NAME, startAwsIngest } from './service';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(awsIngestConfigSchema, process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : 'invalid configuration'}\n`);
    process.exit(2);
  }
  const kit = createKit(config, { service: STAGE_NAME });
  const handle = await startAwsIngest(kit, config);
  kit.logger.info({ port: handle.port, poll: handle.poller !== undefined, cloudtrailDir: config.CLOUDTRAIL_DIR ?? null }, 'aws-ingest started');

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      kit.logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    kit.logger.info({ signal }, 'shutdown requested: draining');
    const timer = setTimeout(() => {
      kit.logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out: exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    handle.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        kit.logger.error({ errorName: error instanceof Error ? error.name : 'Error' }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((error: unknown) => {
  process.stderr.write(`aws-ingest failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}\n`);
  process.exit(1);
});
