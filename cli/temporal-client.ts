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
  return new Client({ connection, namespace: config.temporal.namespace });
}
