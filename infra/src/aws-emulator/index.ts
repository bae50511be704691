// Public surface of the AWS emulator (Security Hub + SSM Automation) for tests and scripts.
export { startAwsEmulator, type AwsEmulator, type AwsEmulatorOptions } from './server';
export { EmulatorState, type StateOptions } from './state';
export { FaultInjector, faultConfigSchema, type FaultConfig } from './faults';
export { defaultDocuments, type AutomationDocumentInput } from './automation-documents';
export { parseScenario } from './scenario';
export type { AsffFinding } from './asff-fields';
export type { RecordedCall } from './call-log';
