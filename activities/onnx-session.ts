import * as ort from 'onnxruntime-node';
import type { ClabConfig } from '../lib/config.ts';
import type { Sha256 } from '../lib/digest.ts';
import { InputError } from '../lib/input-error.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { InferenceConfigError } from './inference-config-error.ts';

export { InferenceConfigError };

const sessions = new Map<string, Promise<ort.InferenceSession>>();
const MAX_SESSIONS = 4;

/**
 * An onnxruntime-node session for the ONNX model stored under `digest`, with the execution
 * providers and thread pools of the worker's configuration (CLAB_ORT_PROVIDERS, CLAB_ORT_THREADS).
 * Sessions are reused across activities of the same worker.
 */
export function onnxSession(
  store: ArtifactStore,
  digest: Sha256,
  inference: ClabConfig['inference'],
): Promise<ort.InferenceSession> {
  const key = `${digest}|${inference.executionProviders.join(',')}|${inference.intraOpThreads}|${inference.interOpThreads}`;
  let session = sessions.get(key);
  if (!session) {
    session = createSession(store, digest, inference);
    session.catch(() => sessions.delete(key));
    sessions.set(key, session);
    if (sessions.size > MAX_SESSIONS) {
      const [oldest, evicted] = sessions.entries().next().value!;
      sessions.delete(oldest);
      void evicted.then((s) => s.release()).catch(() => undefined);
    }
  }
  return session;
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
