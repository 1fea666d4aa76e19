/** Runs the server: listen, print the address, and shut down cleanly on SIGINT/SIGTERM. */
import { SHUTDOWN_GRACE_MS } from '../limits.js';
import { buildApp, type AppOptions, type OnboardApp } from './app.js';

export { SHUTDOWN_GRACE_MS };

export interface RunningServer extends OnboardApp {
  url: string;
  close(): Promise<void>;
}

/** Starts listening on the configured host and port; logs the address (one line per interface on a wildcard host). */
export async function startServer(options: AppOptions): Promise<RunningServer> {
  const built = buildApp(options);
  const { app } = built;
  // fastify logs one line per address it listens on; make it ours (scripts and tests wait for it)
  await app.listen({
    host: options.config.host,
    port: options.config.port,
    listenTextResolver: (address) => `hermes-onboard listening on ${address}`,
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.config.port;
  const host = options.config.host.includes(':') ? `[${options.config.host}]` : options.config.host;
  const url = `http://${host}:${port}`;
  return { ...built, url, close: () => app.close() };
}

/** Closes the server when the process is asked to stop; exits 0 when done, 1 if it took too long. */
export function closeOnSignals(server: RunningServer, options: { shared?: boolean } = {}): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    // alone, a server cancels its pending sign-ins; among replicas (Redis) it hands them over instead
    const pending = options.shared ? 'handing pending sign-ins over to the other replicas' : 'cancelling pending sign-ins';
    server.app.log.info({ signal }, `shutting down: ${pending}`);
    const force = setTimeout(() => {
      server.app.log.error('shutdown took longer than 5 s; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
