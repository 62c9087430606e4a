// @meterchain/transport: publish and subscribe of opaque signed frames within a cluster (Node only).
export type { Delivery, FrameHandler, PublishOptions, PublishReceipt, Subscription, Transport, TransportEventName, TransportEvents, TransportStats } from './transport.ts';
export { FlushTimeoutError, FrameTooLargeError, TransportClosedError } from './transport.ts';
export { TOPIC_ROOT, filterTopic, frameTopic, parseFrameTopic, isClusterName, isFrameKind, type FrameFilter, type TopicVerdict } from './topic.ts';
export { HEADER_LENGTH, decodeFramed, encodeFramed, type FrameHeader, type FramedVerdict } from './header.ts';
export { SequenceTracker, type SequenceVerdict, type SequenceTrackerOptions } from './sequence.ts';
export { ADDRESSED_KINDS, PROTOCOL_KINDS, SENSOR_KIND, addressedKind, brokerAcl, type BrokerAclOptions } from './acl.ts';
export { DEFAULT_BACKOFF, reconnectDelay, type BackoffPolicy } from './backoff.ts';
export { DEFAULT_MAX_FRAME_BYTES } from './outgoing.ts';
export { MemoryHub, MemoryTransport, createMemoryHub, type MemoryHubOptions, type MemoryTransportOptions } from './memory.ts';
export { Spool, SpoolFullError, SpoolLockedError, type FsyncPolicy, type SpoolOptions } from './spool.ts';
export { MqttTransport, SubscribeRefusedError, openMqttTransport, type MqttTransportOptions } from './mqtt.ts';
export { ModbusRtuTransport, openModbusRtuTransport, type ModbusRtuTransportOptions, type RtuMemberLinkStats } from './rtu/member.ts';
export { ModbusRtuMaster, type BusMember, type ModbusRtuMasterOptions, type RtuMasterStats } from './rtu/master.ts';
export { openLineBridge, type LineBridge, type LineBridgeOptions, type LineBridgeStats } from './rtu/bridge.ts';
export { ANCHOR_KIND, bridgeConfig, gateAcl, wideAreaBridgeAcl, type BridgeOptions } from './bridge.ts';
export { SharedReception } from './shared-reception.ts';
