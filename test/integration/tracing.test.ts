// OpenTelemetry tracing (CLAB_OTEL_ENDPOINT): an in-process worker ingests a tiny image folder
// through the real Temporal server, started by a client with the client-side interceptors, while a
// small OTLP/HTTP receiver started here takes the spans.
// The workflow's spans (RunWorkflow, StartActivity, through the workflow interceptors and sinks)
// and the activities' spans (RunActivity) arrive, in one trace, under the worker's resource, and
// the last of them are sent when the worker shuts down.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { configFromEnv } from '../../lib/config.ts';
import { ingestDataset } from '../../workflows/ingest-dataset.ts';
import { createWorkers } from '../../workers/run-workers.ts';
import { CLIENT_SERVICE_NAME, WORKER_SERVICE_NAME, clientTracing } from '../../workers/tracing.ts';
import { isolatedEnv } from '../helpers/stack.ts';
import { tinyImageFolder } from '../helpers/tiny-image-folder.ts';

interface ReceivedSpan {
  name: string;
  traceId: string;
  resource: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: { spans?: { name: string; traceId: string }[] }[];
  }[];
}

/** A minimal OTLP/HTTP traces receiver: records each POST to /v1/traces (JSON bodies decoded). */
class OtlpReceiver {
  readonly requests: { contentType: string; bytes: number }[] = [];
  readonly spans: ReceivedSpan[] = [];
  private readonly server: Server = createServer((req, res) => void this.take(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async take(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    this.requests.push({ contentType, bytes: body.length });
    if (contentType.startsWith('application/json')) {
      const json = JSON.parse(body.toString('utf8')) as OtlpJson;
      for (const rs of json.resourceSpans ?? []) {
        const resource = Object.fromEntries(
          (rs.resource?.attributes ?? []).map((a) => [
            a.key,
            a.value.stringValue ?? a.value.intValue,
          ]),
        );
        for (const ss of rs.scopeSpans ?? [])
          for (const span of ss.spans ?? [])
            this.spans.push({ name: span.name, traceId: span.traceId, resource });
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }
}

describe('OpenTelemetry tracing of a worker (CLAB_OTEL_ENDPOINT)', () => {
  const receiver = new OtlpReceiver();
  let queue = '';
  const workerSpans = () =>
    receiver.spans.filter((s) => s.resource['service.name'] === WORKER_SERVICE_NAME);

  beforeAll(async () => {
    const endpoint = await receiver.start();
    const config = configFromEnv({ ...isolatedEnv('otel'), CLAB_OTEL_ENDPOINT: endpoint });
    queue = config.queues.cpu;
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const { workers, connection, routing, flushTracing } = await createWorkers({
      config,
      roles: ['cpu'],
      log: () => {},
    });
    const running = Promise.all(workers.map((w) => w.run()));
    try {
      const outcome = await routing;
      expect(outcome.kind).not.toBe('gave-up');
      const root = await tinyImageFolder();
      // a client with the client-side interceptors: its StartWorkflow span begins the trace
      const tracing = clientTracing(endpoint);
      const client = new Client({
        connection: await Connection.connect({ address: inject('temporalAddress') }),
        interceptors: tracing.interceptors,
      });
      const ref = await client.workflow.execute(ingestDataset, {
        taskQueue: queue,
        workflowId: `otel-ingest-${Date.now()}`,
        args: [{ source: { kind: 'image-folder', dir: root, name: 'traced' }, cpuQueue: queue }],
      });
      expect(ref).toMatchObject({ name: 'traced', count: 12 });
      await tracing.shutdown();
      await client.connection.close();
    } finally {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      // the batch processor still holds the last spans: shutting tracing down sends them
      await flushTracing();
      await connection.close();
    }
  }, 120_000);

  afterAll(() => receiver.stop());

  it('sends spans to the OTLP/HTTP endpoint', () => {
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => r.bytes > 0)).toBe(true);
    // @opentelemetry/exporter-trace-otlp-http sends OTLP as JSON
    expect(receiver.requests[0]!.contentType).toMatch(/^application\/json/);
  });

  it('traces the workflow (interceptors in the bundle, spans through the sink) and its activities', () => {
    const names = workerSpans().map((s) => s.name);
    expect(names).toContain('RunWorkflow:ingestDataset');
    expect(names.some((n) => n.startsWith('StartActivity:'))).toBe(true);
    expect(names.some((n) => n.startsWith('RunActivity:'))).toBe(true);
    // activity spans continue the workflow's trace (W3C context in the activity headers)
    const run = receiver.spans.find((s) => s.name === 'RunWorkflow:ingestDataset')!;
    const activities = receiver.spans.filter((s) => s.name.startsWith('RunActivity:'));
    expect(activities.every((s) => s.traceId === run.traceId)).toBe(true);
  });

  it("continues the trace of the client's StartWorkflow span (client interceptors)", () => {
    const start = receiver.spans.find((s) => s.name === 'StartWorkflow:ingestDataset')!;
    expect(start.resource['service.name']).toBe(CLIENT_SERVICE_NAME);
    const run = receiver.spans.find((s) => s.name === 'RunWorkflow:ingestDataset')!;
    expect(run.traceId).toBe(start.traceId);
  });

  it("names the service and the worker's queue in the resource", () => {
    expect(workerSpans().length).toBeGreaterThan(0);
    for (const span of workerSpans())
      expect(span.resource).toMatchObject({
        'service.name': WORKER_SERVICE_NAME,
        'temporal.task_queue': queue,
        'clab.queue_role': 'cpu',
      });
  });
});
