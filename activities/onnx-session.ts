import * as ort from 'onnxruntime-node';
import type { ClabConfig } from '../lib/config.ts';
import type { Sha256 } from '../lib/digest.ts';
import { InputError } from '../lib/input-error.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { InferenceConfigError } from './inference-config-error.ts';
import { SessionCache, type SessionLease } from './session-cache.ts';

export { InferenceConfigError };

// Sessions are large (a model's weights and onnxruntime's arenas): a few stay cached while idle.
const sessions = new SessionCache<ort.InferenceSession>(4);

/**
 * Runs `use` with an onnxruntime-node session for the ONNX model stored under `digest`, with the
 * execution providers and thread pools of the worker's configuration (CLAB_ORT_PROVIDERS,
 * CLAB_ORT_THREADS). Sessions are reused across activities of the same worker; one is never
 * released while an activity still uses it (see SessionCache).
 */
export async function withOnnxSession<T>(
  store: ArtifactStore,
  digest: Sha256,
  inference: ClabConfig['inference'],
  use: (session: ort.InferenceSession) => Promise<T>,
): Promise<T> {
  const lease = await acquireOnnxSession(store, digest, inference);
  try {
    return await use(lease.session);
  } finally {
    lease.release();
  }
}

/** The session withOnnxSession runs with, held until the lease is released (benchmarks hold one). */
export function acquireOnnxSession(
  store: ArtifactStore,
  digest: Sha256,
  inference: ClabConfig['inference'],
): Promise<SessionLease<ort.InferenceSession>> {
  const key = `${digest}|${inference.executionProviders.join(',')}|${inference.intraOpThreads}|${inference.interOpThreads}`;
  return sessions.acquire(key, () => createSession(store, digest, inference));
}

async function createSession(
  store: ArtifactStore,
  digest: Sha256,
  inference: ClabConfig['inference'],
): Promise<ort.InferenceSession> {
  const bytes = await store.get(digest);
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: inference.executionProviders,
      graphOptimizationLevel: 'all',
      ...(inference.intraOpThreads ? { intraOpNumThreads: inference.intraOpThreads } : {}),
      interOpNumThreads: inference.interOpThreads,
    });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    if (
      inference.executionProviders.some((p) => p !== 'cpu') &&
      /provider|shared library/i.test(message ?? '')
    )
      throw new InferenceConfigError(
        `onnxruntime cannot use the execution providers ${inference.executionProviders.join(', ')} (CLAB_ORT_PROVIDERS) for model ${digest}: ${message}`,
      );
    throw new InputError(`onnxruntime cannot load model ${digest}: ${message}`);
  }
}

export { ort };
