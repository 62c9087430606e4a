// The kinds of message a node publishes, each on its own topic (docs/protocol.md §12).

/** Kinds of message, each on its own topic (docs/protocol.md, "Topics"). */
export type Topic = 'submission' | 'vote' | 'certificate' | 'proposal' | 'block-vote' | 'timeout' | 'evidence' | 'block' | 'sync';
