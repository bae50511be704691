import { describe, expect, it } from 'vitest';
import { commonConfigSchema, loadConfig } from '../src/config';
import { createKafka } from '../src/kafka';
import { createLogger } from '../src/logger';
import { endpoint, silentDestination } from './helpers';

function kafkaWith(mechanism: string, password: string) {
  const config = loadConfig(commonConfigSchema, {
    KAFKA_BROKERS: endpoint('KAFKA_SASL_BROKERS'),
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: endpoint('KAFKA_SCRAM_USERNAME'),
    KAFKA_SASL_PASSWORD: password,
  });
  // Keep connection retries short so the failure case answers quickly.
  return createKafka(config, { clientId: 'kit-sasl-test', logger: createLogger({ service: 'kit-sasl-test', level: 'silent', destination: silentDestination() }) });
}

describe('Kafka SASL/SCRAM from the kit config', () => {
  it.each(['scram-sha-256', 'scram-sha-512'])('connects with %s', async (mechanism) => {
    const admin = kafkaWith(mechanism, endpoint('KAFKA_SCRAM_PASSWORD')).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.length).toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
    }
  });

  it('fails with a clear authentication error that does not contain the password', async () => {
    const wrongPassword = 'wrong-password-Zq81xV';
    const admin = kafkaWith('scram-sha-512', wrongPassword).admin({ retry: { retries: 0 } });
    let caught: unknown;
    try {
      await admin.connect();
    } catch (error) {
      caught = error;
    } finally {
      await admin.disconnect();
    }
    expect(caught).toBeInstanceOf(Error);
    const message = (caught as Error).message;
    expect(message).toMatch(/SASL SCRAM SHA512 authentication failed/i);
    expect(message).not.toContain(wrongPassword);
    expect(JSON.stringify(caught, Object.getOwnPropertyNames(caught))).not.toContain(wrongPassword);
  });
});
