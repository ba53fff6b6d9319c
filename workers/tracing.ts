import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { context, propagation, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ClientInterceptors } from '@temporalio/client';
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';

/** The `service.name` of every span a worker exports. */
export const WORKER_SERVICE_NAME = 'contamination-lab-worker';
/** The `service.name` of the spans a client (the CLI) exports. */
export const CLIENT_SERVICE_NAME = 'contamination-lab-cli';

/**
 * The module the workflow bundle adds as its interceptors when tracing is on: the SDK's workflow
 * interceptors (spans for RunWorkflow, StartActivity, signals, queries...), which export through
 * the `exporter` sink below.
 */
export const WORKFLOW_TRACING_MODULE = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

let propagationInstalled = false;

/**
 * The process-wide pieces the interceptors use through @opentelemetry/api (both no-ops by
 * default): the propagator that reads and writes the trace context in Temporal headers, and the
 * context manager that makes an extracted context the parent of the span started under it.
 */
function installContextPropagation(): void {
  if (propagationInstalled) return;
  propagationInstalled = true;
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** What one worker (one task queue) adds to its options when tracing is on. */
export interface WorkerTracing {
  activityInterceptors: ActivityInterceptorsFactory[];
  workflowModules: string[];
  sinks: NonNullable<WorkerOptions['sinks']>;
  /** Exports the spans still buffered and stops the exporter; once the worker has stopped. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry tracing for the worker of `taskQueue` (CLAB_OTEL_ENDPOINT): spans go by OTLP/HTTP
 * to `endpoint` (a traces endpoint, like http://127.0.0.1:4318/v1/traces), batched, under a
 * resource that names the service and the queue. Parent contexts travel in Temporal headers as
 * W3C trace context, so an activity's span hangs under the workflow span that scheduled it.
 */
export function workerTracing(endpoint: string, taskQueue: string, role: string): WorkerTracing {
  installContextPropagation();
  const { resource, processor, provider, tracer } = spanPipeline(endpoint, {
    'service.name': WORKER_SERVICE_NAME,
    'temporal.task_queue': taskQueue,
    'clab.queue_role': role,
  });
  let closed: Promise<void> | undefined;
  return {
    activityInterceptors: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    workflowModules: [WORKFLOW_TRACING_MODULE],
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
    shutdown: () => (closed ??= provider.shutdown()),
  };
}

/**
 * Client-side tracing (for a Client's `interceptors`): a span for each workflow the client starts,
 * signals, queries or cancels, whose context goes to the workflow in its headers, so that the
 * workflow's and its activities' spans join the client's trace. `shutdown` sends the buffered
 * spans: call it before the process exits.
 */
export function clientTracing(endpoint: string): {
  interceptors: ClientInterceptors;
  shutdown(): Promise<void>;
} {
  installContextPropagation();
  const { provider, tracer } = spanPipeline(endpoint, { 'service.name': CLIENT_SERVICE_NAME });
  let closed: Promise<void> | undefined;
  return {
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    shutdown: () => (closed ??= provider.shutdown()),
  };
}

/**
 * A tracer provider of its own (not the global one, so each worker keeps its resource) that
 * batches spans and sends them by OTLP/HTTP (JSON) to `endpoint`.
 */
function spanPipeline(endpoint: string, attributes: Record<string, string>) {
  const resource = new Resource({
    'service.instance.id': `${hostname()}/${process.pid}`,
    ...attributes,
  });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer: Tracer = provider.getTracer('contamination-lab');
  return { resource, processor, provider, tracer };
}
