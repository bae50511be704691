// Public surface of the QRadar emulator for tests and scripts.
export { startQradarEmulator, supportedVersionRange, type QradarEmulator, type QradarEmulatorOptions } from './server';
export { EmulatorState, defaultClosingReasons, type RecordedWrite, type StateOptions, type SyntheticOptions } from './state';
export { FaultInjector, faultConfigSchema, type FaultConfig } from './faults';
export { parseScenario, type OffenseSeed } from './scenario';
