// @meterchain/pmu/node: the PDC client (Node: TCP and UDP sockets).
export * from './pdc-client.ts';
