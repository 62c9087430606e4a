// Why a consensus node drops a message: one name per cause, counted in the node's stats.drops.

/**
 * Why a message was dropped (counted in stats.drops): it could not be decoded (`malformed`), names no member and round
 * (`unattributable`), another cluster or epoch (`foreign`), a voter that is no full member, a round not open here or
 * outside the round window, a signature, judgment list, certificate, justification, header, block or proposer's vote
 * that does not check, a full or duplicate future buffer, a sync requester over its rate, or a topic the node does not
 * know.
 */
export type DropReason =
  | 'malformed'
  | 'unattributable'
  | 'foreign'
  | 'not-a-voter'
  | 'round-not-open'
  | 'outside-window'
  | 'bad-signature'
  | 'bad-judgments'
  | 'bad-certificate'
  | 'bad-justification'
  | 'bad-header'
  | 'bad-block'
  | 'bad-proposer-vote'
  | 'future-full'
  | 'duplicate'
  | 'rate-limited'
  | 'unknown-topic';
