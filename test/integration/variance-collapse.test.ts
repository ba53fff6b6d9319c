// Theory check through Temporal: ML Gaussians refitted on their own samples (replace mode), one
// cached stage per generation, against the closed form E[var_g] = var_0 ((n-1)/n)^g.
import { describe, expect, it } from 'vitest';
import { varianceCollapseCheck } from '../../workflows/variance-collapse.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, testClient } from '../helpers/stack.ts';

describe('variance collapse through the stage engine', () => {
  it('follows E[var_g] = ((n-1)/n)^g within 4 standard errors', async () => {
    // Each generation multiplies a chain's ML variance by f ~ chi2(n-1)/n, independent across
    // generations: E f = (n-1)/n, E f^2 = ((n-1)/n)^2 + 2(n-1)/n^2, so the mean over C chains of
    // var_g has standard error sqrt((E f^2)^g - (E f)^(2g)) / sqrt(C).
    const n = 20;
    const chains = 4000;
    const generations = 6;
    const { config } = isolatedConfig('variance-collapse');
    const client = await testClient();
    const result = await withWorkers(config, () =>
      client.workflow.execute(varianceCollapseCheck, {
        taskQueue: config.queues.cpu,
        workflowId: `variance-collapse-${Date.now()}`,
        args: [{ chains, n, generations, seed: 5, cpuQueue: config.queues.cpu }],
      }),
    );
    const ef = (n - 1) / n;
    const ef2 = ef * ef + (2 * (n - 1)) / (n * n);
    result.meanVariance.forEach((observed, i) => {
      const g = i + 1;
      const se = Math.sqrt(ef2 ** g - ef ** (2 * g)) / Math.sqrt(chains);
      expect(
        Math.abs(observed - ef ** g),
        `generation ${g}: ${observed} vs ${ef ** g} (SE ${se})`,
      ).toBeLessThan(4 * se);
    });
    expect(result.stages.map((s) => s.label)).toEqual(['g=1', 'g=2', 'g=3', 'g=4', 'g=5', 'g=6']);
  }, 300_000);
});
