// @meterchain/modbus/sim: simulated meters for demos, tests and labs, kept out of the acquisition entry point: Modbus
// RTU/TCP and IEC 62056-21 device simulators with injectable faults, their register images and physics, and a
// three-phase installation on a daily load curve.
export { startSimulator, SIM_PROFILES, type SimulatorOptions, type RunningSimulator, type SimProfile, type SimLink } from './simulator.ts';
export { parseFaults, ModbusSlave, type Faults, type SlaveCounters } from './slave.ts';
export { MeterSimulation } from './physics.ts';
export { Sdm630Image, SunSpecImage, type RegisterImage } from './images.ts';
export { readoutLines } from './iec62056-server.ts';
export { ThreePhaseLoad, dailyShape, REGISTER_RESERVE_WH, type InstallationValues, type LoadCurveOptions, type PhaseValues } from './loadcurve.ts';
export { MultidropLine, PCAP_LINKTYPE_USER0, userDltOption, type LineStats, type MultidropLineOptions } from './multidrop.ts';
