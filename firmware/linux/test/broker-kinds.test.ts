// The broker ACL (`meterchain cluster broker-config`, packages/transport brokerAcl) lets a member read the kinds it
// names and no others: the node must subscribe to exactly those, or a kind it adds would never reach it.
import { describe, expect, test } from '@jest/globals';
import { ADDRESSED_KINDS, PROTOCOL_KINDS } from '@meterchain/transport';
import { ADDRESSABLE, TOPICS } from '../src/runtime.ts';

describe('the kinds a node subscribes to', () => {
  test('are the broadcast and addressed kinds the generated broker ACL grants', () => {
    expect([...TOPICS].sort()).toEqual([...PROTOCOL_KINDS].sort());
    expect([...ADDRESSABLE].sort()).toEqual([...ADDRESSED_KINDS].sort());
  });
});
