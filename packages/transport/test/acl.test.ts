// The broker ACL made from a cluster's members (checked against a real Mosquitto in broker-identity.test.ts).
import { describe, expect, test } from '@jest/globals';
import { brokerAcl } from '../src/index.ts';
import { testAddress } from '../compliance/index.ts';

const [m0, m1] = [testAddress(0), testAddress(1)];

describe('brokerAcl', () => {
  test('gives each member write under its own address in its cluster, the broadcast kinds, and its own -to-<index> kinds', () => {
    const acl = brokerAcl({ cluster: 'feeder-7', members: [m0, m1], observers: ['control-centre'], kinds: ['vote', 'block'], addressedKinds: ['vote'] });
    const sections = acl.split('\n\n').slice(1).map((s) => s.split('\n').filter((l) => !l.startsWith('#')));
    expect(sections).toEqual([
      [`user ${m0}`, `topic write meterchain/feeder-7/+/${m0}`, 'topic read meterchain/feeder-7/vote/+', 'topic read meterchain/feeder-7/block/+', 'topic read meterchain/feeder-7/vote-to-0/+'],
      [`user ${m1}`, `topic write meterchain/feeder-7/+/${m1}`, 'topic read meterchain/feeder-7/vote/+', 'topic read meterchain/feeder-7/block/+', 'topic read meterchain/feeder-7/vote-to-1/+'],
      ['user control-centre', 'topic read meterchain/feeder-7/vote/+', 'topic read meterchain/feeder-7/block/+', ''],
    ]);
    // No line applies to every login, and anonymous clients get nothing.
    expect(acl).not.toMatch(/^pattern/m);
    expect(acl.split('\n').findIndex((l) => l.startsWith('topic'))).toBeGreaterThan(acl.split('\n').findIndex((l) => l.startsWith('user')));
  });

  test('programmer mistakes throw, naming what was expected', () => {
    expect(() => brokerAcl({ cluster: 'a/b', members: [m0] })).toThrow(/cluster name/);
    expect(() => brokerAcl({ cluster: 'c', members: [] })).toThrow(/at least one member/);
    expect(() => brokerAcl({ cluster: 'c', members: ['alice'] })).toThrow(/member address/);
    expect(() => brokerAcl({ cluster: 'c', members: [m0, m0] })).toThrow(/appears twice/);
    expect(() => brokerAcl({ cluster: 'c', members: [m0], observers: ['bad name'] })).toThrow(/observer login/);
    expect(() => brokerAcl({ cluster: 'c', members: [m0], kinds: ['#'] })).toThrow(/frame kind/);
  });
});
