/**
 * hermes-onboard as a library (docs/api.md, "Embedding"): the fastify plugin that mounts the onboarding
 * API under a prefix of another app, the standalone server, the flow engine and its stores, the provider
 * registry, the configuration and error catalogue, and the Hermes credential-store helpers.
 */
export { onboardingPlugin, type OnboardingPluginOptions } from './server/plugin.js';
export { buildApp, type AppOptions, type OnboardApp } from './server/app.js';
export { startServer, closeOnSignals, type RunningServer } from './server/serve.js';
export { openApiDocument } from './server/apiSchema.js';

export { FlowEngine, type FlowEngineOptions } from './flows/engine.js';
export { MemoryFlowStore } from './flows/memoryStore.js';
export type { CreateResult, FlowCondition, FlowListener, FlowStore } from './flows/store.js';
export type { FlowChange, FlowPhase, FlowPublic, FlowRecord, FlowSecrets } from './flows/flow.js';

export { allProviders, findProvider, supportedIds, supportedProviders, unsupportedProviders } from './providers/index.js';
export * from './providers/types.js';
export { ProviderError, TransientProviderError } from './providers/errors.js';

export { homeOptions, loadConfig, type Config, type ConfigFlags, type ProviderConfig } from './config.js';
export * from './errors.js';
export * from './limits.js';
export type * from './contract.js';
// the wire shape of a listed account (with health); providers/types.ts has the provider modules' own
export type { AccountView } from './contract.js';

export * from './store/index.js';
export { systemClock, type Clock } from './util/clock.js';
export { createLogger, silentLogger, type Logger } from './util/logger.js';
export { VERSION } from './version.js';
