// The same workflow type as recorded.ts with its two stages swapped: grid, then subset.
import { twoStagesInOrder } from './two-stages.ts';

export const twoStages = twoStagesInOrder(['grid', 'subset']);
