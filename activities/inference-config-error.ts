/** The worker's onnxruntime settings do not work here (a provider that is not installed, say). */
export class InferenceConfigError extends Error {
  override name = 'InferenceConfigError';
}
