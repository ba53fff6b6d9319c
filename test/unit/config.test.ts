import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../lib/config.ts';

describe('configFromEnv', () => {
  it('defaults to a local store under CLAB_HOME and Temporal on loopback', () => {
    const config = configFromEnv({ CLAB_HOME: '/data/clab' });
    expect(config.store).toEqual({ kind: 'local', root: '/data/clab/store' });
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default' });
    expect(config.queues).toEqual({ cpu: 'cpu', gpu: 'gpu' });
    expect(config.trainer.workDir).toBe('/data/clab/work');
    expect(config.trainer.python).toMatch(/trainers\/\.venv\/bin\/python$/);
    expect(config.inference).toEqual({
      executionProviders: ['cpu'],
      intraOpThreads: 0,
      interOpThreads: 1,
    });
  });

  it('reads the inference providers (cpu always last) and the trainer interpreter', () => {
    const config = configFromEnv({
      CLAB_ORT_PROVIDERS: 'CUDA',
      CLAB_ORT_THREADS: '4',
      CLAB_PYTHON: '/opt/torch/bin/python',
    });
    expect(config.inference.executionProviders).toEqual(['cuda', 'cpu']);
    expect(config.inference.intraOpThreads).toBe(4);
    expect(config.trainer.python).toBe('/opt/torch/bin/python');
    expect(() => configFromEnv({ CLAB_ORT_PROVIDERS: 'tpu' })).toThrowError(
      'Expected CLAB_ORT_PROVIDERS to list cpu / cuda, got `tpu`',
    );
  });

  it('reads an s3:// store with its prefix, endpoint and the standard AWS credential variables', () => {
    const config = configFromEnv({
      CLAB_STORE: 's3://lab-bucket/runs/2026',
      CLAB_S3_ENDPOINT: 'http://127.0.0.1:9000',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      CLAB_QUEUE_PREFIX: 'team-a-',
    });
    expect(config.store).toEqual({
      kind: 's3',
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'lab-bucket',
      prefix: 'runs/2026',
      region: 'us-east-1',
      accessKey: 'id',
      secretKey: 'secret',
    });
    expect(config.queues).toEqual({ cpu: 'team-a-cpu', gpu: 'team-a-gpu' });
  });

  it('defaults the S3 endpoint to AWS in the configured region', () => {
    const config = configFromEnv({
      CLAB_STORE: 's3://b',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'i',
      AWS_SECRET_ACCESS_KEY: 's',
    });
    expect(config.store).toMatchObject({
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      prefix: '',
    });
  });

  it('reads the worker deployment: its name, a build id override, and auto-promotion (on for a loopback server)', () => {
    expect(configFromEnv({}).deployment).toEqual({ name: 'contamination-lab', autoPromote: true });
    expect(
      configFromEnv({
        CLAB_TEMPORAL_ADDRESS: 'temporal.lab.internal:7233',
        CLAB_DEPLOYMENT_NAME: 'team-a',
        CLAB_BUILD_ID: 'v1.2-rc',
      }).deployment,
    ).toEqual({ name: 'team-a', buildId: 'v1.2-rc', autoPromote: false });
    expect(
      configFromEnv({ CLAB_TEMPORAL_ADDRESS: 'localhost:7233', CLAB_DEPLOYMENT_AUTOPROMOTE: '0' })
        .deployment.autoPromote,
    ).toBe(false);
    expect(() => configFromEnv({ CLAB_DEPLOYMENT_NAME: 'lab.a' })).toThrowError(
      'Expected CLAB_DEPLOYMENT_NAME to be letters, digits, `-` and `_`, got `lab.a`',
    );
    expect(() => configFromEnv({ CLAB_DEPLOYMENT_AUTOPROMOTE: 'yes' })).toThrowError(
      'Expected CLAB_DEPLOYMENT_AUTOPROMOTE to be 0 or 1, got `yes`',
    );
  });

  it('reads the shutdown grace time of the workers: 30s unless CLAB_SHUTDOWN_GRACE says otherwise', () => {
    expect(configFromEnv({}).worker).toEqual({ activityConcurrency: 2, shutdownGraceMs: 30_000 });
    const grace = (value: string) =>
      configFromEnv({ CLAB_SHUTDOWN_GRACE: value }).worker.shutdownGraceMs;
    expect(grace('')).toBe(30_000);
    expect(grace('2m')).toBe(120_000);
    expect(grace('1.5h')).toBe(5_400_000);
    expect(grace('45s')).toBe(45_000);
    expect(grace('500ms')).toBe(500);
    expect(grace('0')).toBe(0);
    expect(() => grace('30')).toThrowError(
      'Expected CLAB_SHUTDOWN_GRACE to be a duration like 30s, 5m or 500ms, got `30`',
    );
    expect(() => grace('-5s')).toThrowError(/got `-5s`/);
    expect(() => grace('soon')).toThrowError(/got `soon`/);
  });

  it('serves worker metrics only when CLAB_METRICS_ADDRESS names host:port', () => {
    expect(configFromEnv({}).metricsAddress).toBeUndefined();
    expect(configFromEnv({ CLAB_METRICS_ADDRESS: '127.0.0.1:9464' }).metricsAddress).toBe(
      '127.0.0.1:9464',
    );
    expect(configFromEnv({ CLAB_METRICS_ADDRESS: '[::1]:9464' }).metricsAddress).toBe('[::1]:9464');
    expect(() => configFromEnv({ CLAB_METRICS_ADDRESS: '9464' })).toThrowError(
      'Expected CLAB_METRICS_ADDRESS to be host:port, like 127.0.0.1:9464, got `9464`',
    );
  });

  it('traces to an OTLP/HTTP endpoint only when CLAB_OTEL_ENDPOINT is an http(s) URL', () => {
    expect(configFromEnv({}).otelEndpoint).toBeUndefined();
    expect(
      configFromEnv({ CLAB_OTEL_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }).otelEndpoint,
    ).toBe('http://127.0.0.1:4318/v1/traces');
    expect(() => configFromEnv({ CLAB_OTEL_ENDPOINT: '127.0.0.1:4318' })).toThrowError(
      'Expected CLAB_OTEL_ENDPOINT to be an http(s) URL, like http://127.0.0.1:4318/v1/traces, got `127.0.0.1:4318`',
    );
  });

  it('explains what is wrong with bad settings', () => {
    expect(() => configFromEnv({ CLAB_STORE: 's3://b' })).toThrowError(
      'CLAB_STORE is s3://b but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set',
    );
    expect(() => configFromEnv({ CLAB_STORE: 'relative/dir' })).toThrowError(
      /absolute path, a file: URL or an s3:\/\/ URL, got `relative\/dir`/,
    );
    expect(() => configFromEnv({ CLAB_ACTIVITY_CONCURRENCY: '0' })).toThrowError(
      'Expected CLAB_ACTIVITY_CONCURRENCY to be a whole number from 1 and up, got `0`',
    );
  });
});
