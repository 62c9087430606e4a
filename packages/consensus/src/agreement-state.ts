// What the parts of block agreement share (block-agreement.ts composes them): the state of the height under agreement
// (proposals held, block votes and timeouts counted), the lock, and the committed tip. The parts read and change it
// through AgreementState; each keeps the rest of what it knows to itself.
import type { Manifest } from '@meterchain/core';
import { decodeHeader, type BlockCertificate } from './block.ts';
import { firstRoundOf, type CheckedBlock } from './chain.ts';
import { QuorumCounts } from './quorum.ts';

export const NEVER = 9007199254740991;

/** A block this node holds at the height under agreement: its bytes, its hash and what checking it found. */
export interface Content {
  header: Uint8Array;
  body: Uint8Array;
  hash: Uint8Array;
  checked: CheckedBlock;
}

export interface TimeoutEntry {
  voter: number;
  /** The timeout message as its signer sent it (re-sent as is to a member lagging a view behind). */
  bytes: Uint8Array;
  lockView: number | null;
  lock: Uint8Array | null;
  sig: Uint8Array;
  cert?: BlockCertificate;
}

export interface Lock {
  view: number;
  hash: Uint8Array;
  cert: BlockCertificate;
  content: Content;
}

export interface SignedVote {
  hash: string;
  bytes: Uint8Array;
}

export interface HeightState {
  height: number;
  view: number;
  viewStart: number;
  entered: boolean;
  proposed: { [view: number]: boolean };
  contents: { [hash: string]: Content };
  prepares: { [view: number]: { [hash: string]: { [voter: number]: Uint8Array } } };
  commits: { [view: number]: { [hash: string]: { [voter: number]: Uint8Array } } };
  /** Signatures counted per phase, view and header (key `phase:view:hash`) and timeouts per view (key `t:view`). */
  counts: QuorumCounts;
  signedBy: { [slot: string]: SignedVote };
  timeouts: { [view: number]: { [voter: number]: TimeoutEntry } };
  myTimeout: { [view: number]: Uint8Array };
  lastTimeoutSent: number;
  /** When this node last re-sent a left view's timeouts to a member lagging behind (answerLagging). */
  lastLagAnswer: number;
  /** This node's proposals with the whole body, by view: the answer to a member that asks for one. */
  fullProposals: { [view: number]: Uint8Array };
  /** Views whose whole proposal this node has asked its proposer for. */
  askedProposal: { [view: number]: boolean };
  /** Blocks re-proposed under their prepare certificate (a lock), by hash: prepared whatever they hold. */
  justified: { [hash: string]: boolean };
  /** A proposal that came while the rounds it covers were still open here: considered once they close. */
  early?: { view: number; hash: Uint8Array };
  /** Views in which this node refused a proposal and handed over the certificates it left out. */
  handedOver: { [view: number]: boolean };
}

export function newHeight(height: number): HeightState {
  return {
    height,
    view: 0,
    viewStart: 0,
    entered: false,
    proposed: {},
    contents: {},
    prepares: {},
    commits: {},
    counts: new QuorumCounts(),
    signedBy: {},
    timeouts: {},
    myTimeout: {},
    lastTimeoutSent: 0,
    lastLagAnswer: -NEVER,
    fullProposals: {},
    askedProposal: {},
    justified: {},
    handedOver: {},
  };
}

/** The committed tip, the height under agreement and the lock: what every part of block agreement reads. */
export interface AgreementState {
  /** Height of the last committed block (−1 before the first). */
  tipHeight: number;
  /** Hash of the last committed header (the manifest digest before the first block). */
  tipHash: Uint8Array;
  hs: HeightState;
  lock: Lock | null;
}

/** Where this node expects the next block: its height, previous block and first round. */
export interface Expectation {
  height: number;
  prev: Uint8Array;
  first: number;
}

export function expectation(manifest: Manifest, epochStart: number, st: AgreementState): Expectation {
  return { height: st.hs.height, prev: st.tipHash, first: firstRoundOf(manifest, st.hs.height, epochStart) };
}

/** The height a block header names, or −1 if it is malformed. */
export function heightOfHeader(header: Uint8Array): number {
  const h = decodeHeader(header);
  return h.ok ? h.header.height : -1;
}
