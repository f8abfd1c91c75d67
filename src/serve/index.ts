// tensorkit/serve: an Open Inference Protocol v2 server on node:http, and its gRPC binding on
// node:http2 (Node only; never imported by a browser entry). See docs/serving.md.
export { createServer, SERVER_VERSION, type ServerOptions, type InferenceServer, type MonitorLike, type MonitorObservation, type MonitorReport, type MonitorFeature, type LimitOptions } from './server';
export { hashApiKey, type ApiKey, type AuthOptions } from './auth';
export type { BatchingOptions } from './batcher';
export type { Datatype } from './datatypes';
export type { InMemoryModel } from './repository';
export type { ModelSignature, TensorSpec, Servable, SignatureSpec, SignatureInput, SignatureOutput } from './signature';
