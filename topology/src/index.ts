export * from './spec';
export * from './topics';
export * from './plan';
export * from './apply';
export * from './render';
export { connectCluster, type ClusterPort } from './cluster';
export { kafkaConfigFromEnv } from './kafka-connection';
