// The broker ACL made from a cluster's members (checked against a real Mosquitto in broker-identity.test.ts).
import { describe, expect, test } from '@jest/globals';
import { brokerAcl } from '../src/index.ts';
import { testAddress } from '../compliance/index.ts';

const [m0, m1, s2, s3] = [testAddress(0), testAddress(1), testAddress(2), testAddress(3)];

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

  test("a sensor member's login only publishes its sensor frames, and only its full node reads them", () => {
    const acl = brokerAcl({ cluster: 'lab', members: [m0, m1, s2, s3], kinds: ['vote'], addressedKinds: [], sensors: [{ address: s2, node: m1 }, { address: s3, node: m1 }] });
    const sections = acl.split('\n\n').slice(1).map((s) => s.split('\n').filter((l) => l !== '' && !l.startsWith('#')));
    expect(sections).toEqual([
      [`user ${m0}`, `topic write meterchain/lab/+/${m0}`, 'topic read meterchain/lab/vote/+'],
      [`user ${m1}`, `topic write meterchain/lab/+/${m1}`, 'topic read meterchain/lab/vote/+', `topic read meterchain/lab/sensor/${s2}`, `topic read meterchain/lab/sensor/${s3}`],
      [`user ${s2}`, `topic write meterchain/lab/sensor/${s2}`],
      [`user ${s3}`, `topic write meterchain/lab/sensor/${s3}`],
    ]);
    expect(() => brokerAcl({ cluster: 'lab', members: [m0, m1], sensors: [{ address: s2, node: m1 }] })).toThrow(/sensor .* is not a member/);
    expect(() => brokerAcl({ cluster: 'lab', members: [m0, s2], sensors: [{ address: s2, node: m1 }] })).toThrow(/full node .* is not a member/);
    expect(() => brokerAcl({ cluster: 'lab', members: [m0, s2, s3], sensors: [{ address: s2, node: s3 }, { address: s3, node: m0 }] })).toThrow(/is itself a sensor/);
    expect(() => brokerAcl({ cluster: 'lab', members: [m0, s2], sensors: [{ address: s2, node: m0 }, { address: s2, node: m0 }] })).toThrow(/appears twice/);
  });
});
