// Exits 0 when the broker at argv[2] answers a metadata request (describeCluster) within 3 s.
// Used by infra/up.sh as the real readiness check: an open port is not a working broker.
import { Kafka, logLevel } from 'kafkajs';

const broker = process.argv[2];
if (!broker) { console.error('usage: kafka-ready.mjs host:port'); process.exit(2); }
const admin = new Kafka({ clientId: 'seam-infra-ready', brokers: [broker], logLevel: logLevel.NOTHING,
  connectionTimeout: 2000, requestTimeout: 3000, retry: { retries: 0 } }).admin();
const timer = setTimeout(() => process.exit(1), 5000);
try {
  await admin.connect();
  const { brokers, controller } = await admin.describeCluster();
  if (brokers.length === 0 || controller === null || controller < 0) process.exit(1);
  await admin.disconnect();
  clearTimeout(timer);
  process.exit(0);
} catch {
  process.exit(1);
}
