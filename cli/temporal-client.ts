import { Client, Connection } from '@temporalio/client';
import type { ClabConfig } from '../lib/config.ts';

export async function connectClient(config: ClabConfig): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: config.temporal.address,
      connectTimeout: 5000,
    });
  } catch (error) {
    throw new Error(
      `Cannot reach the Temporal server at ${config.temporal.address} (${(error as Error).message}); start one with npm run infra:up or set CLAB_TEMPORAL_ADDRESS`,
    );
  }
  if (!config.otelEndpoint) return new Client({ connection, namespace: config.temporal.namespace });
  // Traced: the client's StartWorkflow spans head the workers' traces (loaded only when used).
  const { clientTracing } = await import('../workers/tracing.ts');
  const tracing = clientTracing(config.otelEndpoint);
  process.once('beforeExit', () => void tracing.shutdown());
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    interceptors: tracing.interceptors,
  });
}
