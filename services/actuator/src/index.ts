export type * from './approvals/backend';
