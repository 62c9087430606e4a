// Modbus and serial acquisition on Node: the bus over modbus-serial, meter drivers, IEC 62056-21 readout,
// polling with gaps. Device simulators for tests and labs: @meterchain/modbus/sim.
export { ModbusBus, describeLink, charTimeMs, rtuWireMs, zeroCounters, countersDelta, type BusOptions, type BusCounters, type Link, type Parity, type ReadRequest } from './bus.ts';
export {
  ModbusError, ModbusTimeoutError, ModbusCrcError, ModbusExceptionError, ModbusReplyMismatchError, ModbusBusClosedError,
  EXCEPTION_NAMES, describeRequest, type RequestContext,
} from './errors.ts';
export { commQuality, PointReader, type MeterDriver, type MeterSample, type ModbusDriverOptions, type Sample } from './driver.ts';
export { EastronMeter, type EastronOptions } from './eastron.ts';
export { SunSpecMeter, loadSunSpecModels, type SunSpecOptions, type SunSpecDevice } from './sunspec.ts';
export { RegisterMapMeter, parseRegisterMap, loadRegisterMap, type RegisterMapOptions, type RegisterMapLoad } from './register-map.ts';
export { poll, type PollEvent, type PollOptions } from './poller.ts';
export { crc16, crcOk } from './crc16.ts';
export { Iec62056Reader, type Iec62056Options, type Iec62056Sample } from './iec62056.ts';
export { SerialLine, type SerialSettings } from './serial-line.ts';
