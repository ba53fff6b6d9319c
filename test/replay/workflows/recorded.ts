// The workflow of the replay gate's negative test as recorded: subset, then grid.
import { twoStagesInOrder } from './two-stages.ts';

export const twoStages = twoStagesInOrder(['subset', 'grid']);
