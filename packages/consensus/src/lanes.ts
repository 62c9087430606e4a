// Which machine of a consensus node a message or an effect belongs to (docs/protocol.md §12): the rounds' or block
// agreement's. A runtime that handles them apart (block agreement's messages in the background, each machine's
// effects in a queue of their own) asks here instead of knowing the protocol's topics.
import type { Effect, Machine } from './effects.ts';
import type { Topic } from './topics.ts';

export type { Machine };

/** The topics of the rounds' messages; the others (proposal, block-vote, timeout, block, sync) are block agreement's. */
const ROUND_TOPICS: Topic[] = ['submission', 'vote', 'certificate', 'evidence'];

/** The machine that takes a message of this topic. */
export function machineOfTopic(topic: Topic): Machine {
  return ROUND_TOPICS.includes(topic) ? 'rounds' : 'block-agreement';
}

/**
 * The machine an effect belongs to, so that the effects that must stay in order stay together: a persisted
 * submission, vote or round record with the publish or outcome it guards; a block vote, timeout or lock with its
 * publish, and committed blocks and sync requests.
 */
export function machineOfEffect(e: Effect): Machine {
  switch (e.type) {
    case 'persist':
      return e.record.kind === 'submission' || e.record.kind === 'vote' || e.record.kind === 'round' ? 'rounds' : 'block-agreement';
    case 'publish':
      return machineOfTopic(e.topic);
    case 'committed':
    case 'sync-request':
      return 'block-agreement';
    default:
      return 'rounds';
  }
}
