// Portable meter decoders: registers and serial readouts in, fixed-point channels out. No I/O: runs on Espruino.
export { normaliseUnit, channelQuantity, formatChannel, meterError } from './channel.ts';
export {
  decodeRegisters, encodeRegisters, decodeString, registerCount, planReads, registerReference, MAX_READ_REGISTERS,
  type ByteOrder, type WordOrder, type RegisterType, type ReadBlock, type Words,
} from './registers.ts';
export { decodePoint, decodePoints, planPointReads, type RegisterPoint, type DecodedPoints } from './points.ts';
export { eastronPoints, EASTRON_MAX_READ, EASTRON_MAX_GAP, type EastronModel } from './eastron.ts';
export {
  sunspecLayout, sunspecLayouts, sunspecRaw, sunspecObis, sunspecHeader, decodeSunSpecMeter, decodeSunSpecCommon, isSunSpecMarker,
  SUNSPEC_BASES, SUNSPEC_MARKER, SUNSPEC_END, SUNSPEC_METER_MODELS, FLOAT_SCALE,
  type SunSpecModelDef, type SunSpecPointDef, type SunSpecLayout, type SunSpecPointLayout, type SunSpecCommon, type SunSpecModelHeader,
} from './sunspec.ts';
export { SUNSPEC_MODELS } from './sunspec-models.ts';
export { registerMap, registerMapSchema, type RegisterMap, type RegisterMapDocument, type RegisterMapVerdict } from './register-map.ts';
export {
  requestMessage, parseIdentification, identificationMessage, MAX_IDENTIFICATION, optionSelectMessage, parseOptionSelect, blockCheck,
  dataMessage, dataMessageEnd, parseDataMessage, parseDecimal, obisName, expectReadout, MODE_C_BAUD, SIGN_ON_BAUD,
  SOH, STX, ETX, ACK, NAK,
  type Identification, type IdentificationVerdict, type DataSet, type DataValue, type Readout, type ReadoutVerdict,
} from './iec62056-21.ts';
export { rtuReadRequest, rtuReadReply, type RtuReply } from './rtu.ts';
