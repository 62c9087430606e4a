// The SunSpec information models meterchain reads, as its own tables: the common model (1), the integer meter models
// with scale factors (201 single phase, 202 split phase, 203 wye, 204 delta) and their float32 twins (211–214).
// Point names, order, types, sizes, scale factors and units are facts of the SunSpec Information Model
// Specification; a test checks these tables against the published JSON model files. Nothing is read at run time.
import type { SunSpecModelDef, SunSpecPointDef } from './sunspec.ts';

const PHASES = ['A', 'B', 'C'];

function point(name: string, type: string, size: number, sf?: string, units?: string): SunSpecPointDef {
  const p: SunSpecPointDef = { name, type, size };
  if (sf !== undefined) p.sf = sf;
  if (units !== undefined) p.units = units;
  return p;
}

/** A total and its three phases: `W`, `WphA`, `WphB`, `WphC` (the phase infix differs between quantities). */
function withPhases(points: SunSpecPointDef[], total: string, infix: string, type: string, size: number, sf: string | undefined, units: string): void {
  points.push(point(total, type, size, sf, units));
  for (const phase of PHASES) points.push(point(total + infix + phase, type, size, sf, units));
}

/**
 * Points of a meter model. `float` models carry float32 values and no scale factors; integer models carry int16
 * values and acc32 energies with one scale factor per quantity. The published models differ in a few names: model
 * 201 calls its line-to-line voltages PPVphAB…, 202–204 PhVphAB…; the float models spell the phase of a reactive
 * energy `phA`, the integer ones `PhA`.
 */
function meterPoints(float: boolean, lineToLine: string): SunSpecPointDef[] {
  const points: SunSpecPointDef[] = [point('ID', 'uint16', 1), /* @__PURE__ */ point('L', 'uint16', 1)];
  const value = float ? 'float32' : 'int16';
  const energy = float ? 'float32' : 'acc32';
  const valueSize = float ? 2 : 1;
  const sf = (name: string): string | undefined => (float ? undefined : name);
  const endGroup = (name: string) => {
    if (!float) points.push(point(name, 'sunssf', 1));
  };
  withPhases(points, 'A', 'ph', value, valueSize, sf('A_SF'), 'A');
  endGroup('A_SF');
  withPhases(points, 'PhV', 'ph', value, valueSize, sf('V_SF'), 'V');
  points.push(point('PPV', value, valueSize, sf('V_SF'), 'V'));
  for (const pair of ['AB', 'BC', 'CA']) points.push(point(lineToLine + pair, value, valueSize, sf('V_SF'), 'V'));
  endGroup('V_SF');
  points.push(point('Hz', value, valueSize, sf('Hz_SF'), 'Hz'));
  endGroup('Hz_SF');
  withPhases(points, 'W', 'ph', value, valueSize, sf('W_SF'), 'W');
  endGroup('W_SF');
  withPhases(points, 'VA', 'ph', value, valueSize, sf('VA_SF'), 'VA');
  endGroup('VA_SF');
  withPhases(points, 'VAR', 'ph', value, valueSize, sf('VAR_SF'), 'var');
  endGroup('VAR_SF');
  withPhases(points, 'PF', 'ph', value, valueSize, sf('PF_SF'), float ? 'PF' : 'Pct');
  endGroup('PF_SF');
  for (const direction of ['Exp', 'Imp']) withPhases(points, 'TotWh' + direction, 'Ph', energy, 2, sf('TotWh_SF'), 'Wh');
  endGroup('TotWh_SF');
  for (const direction of ['Exp', 'Imp']) withPhases(points, 'TotVAh' + direction, 'Ph', energy, 2, sf('TotVAh_SF'), 'VAh');
  endGroup('TotVAh_SF');
  for (const quadrant of ['ImpQ1', 'ImpQ2', 'ExpQ3', 'ExpQ4']) withPhases(points, 'TotVArh' + quadrant, float ? 'ph' : 'Ph', energy, 2, sf('TotVArh_SF'), 'varh');
  endGroup('TotVArh_SF');
  points.push(point('Evt', 'bitfield32', 2));
  return points;
}

const METER_NAMES: { [id: number]: string } = {
  201: 'ac_meter_an_or_ab', 202: 'ac_meter_abn', 203: 'ac_meter_abcn', 204: 'ac_meter_abc',
  211: 'ac_meter_an_or_ab_float', 212: 'ac_meter_abn_float', 213: 'ac_meter_abcn_float', 214: 'ac_meter_abc_float',
};

function meterModel(id: number): SunSpecModelDef {
  const float = id >= 211;
  return { id, group: { name: METER_NAMES[id]!, points: meterPoints(float, float || id === 201 ? 'PPVph' : 'PhVph') } };
}

/** Model 1, the common model: who made the device (68 registers with ID and L). */
const COMMON: SunSpecModelDef = {
  id: 1,
  group: {
    name: 'common',
    points: [
      /* @__PURE__ */ point('ID', 'uint16', 1), /* @__PURE__ */ point('L', 'uint16', 1), /* @__PURE__ */ point('Mn', 'string', 16), /* @__PURE__ */ point('Md', 'string', 16),
      /* @__PURE__ */ point('Opt', 'string', 8), /* @__PURE__ */ point('Vr', 'string', 8), /* @__PURE__ */ point('SN', 'string', 16), /* @__PURE__ */ point('DA', 'uint16', 1), /* @__PURE__ */ point('Pad', 'pad', 1),
    ],
  },
};

/** Every model the SunSpec driver reads: 1, 201–204, 211–214. */
// Marked pure so that a bundle which reads no SunSpec device (the Espruino firmware) drops the tables: built at load,
// they held thousands of the interpreter's variables.
export const SUNSPEC_MODELS: SunSpecModelDef[] = [COMMON, /* @__PURE__ */ meterModel(201), /* @__PURE__ */ meterModel(202), /* @__PURE__ */ meterModel(203), /* @__PURE__ */ meterModel(204), /* @__PURE__ */ meterModel(211), /* @__PURE__ */ meterModel(212), /* @__PURE__ */ meterModel(213), /* @__PURE__ */ meterModel(214)];
