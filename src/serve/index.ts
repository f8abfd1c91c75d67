// tensorkit/serve: an Open Inference Protocol v2 server on node:http (Node only; never imported
// by a browser entry). See docs/serving.md.
export { createServer, SERVER_VERSION, type ServerOptions, type InferenceServer, type MonitorLike, type LimitOptions } from './server';
export { hashApiKey, type ApiKey, type AuthOptions } from './auth';
export { verifyAuditLog, type AuditEntry } from './audit';
export type { BatchingOptions } from './batcher';
export type { Datatype } from './datatypes';
export type { InMemoryModel } from './repository';
export type { ModelSignature, TensorSpec, Servable, SignatureSpec } from './signature';
