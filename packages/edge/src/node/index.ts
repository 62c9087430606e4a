// @meterchain/edge/node: the Node side of the edge package (YAML profiles checked by the JSON Schema, CSV
// recordings). Not portable; the portable library is the package's main entry.
export { builtInProfilesSource, checkProfile, loadProfile, parseProfile, PROFILE_DIR, PROFILE_NAMES } from './profiles.ts';
export { channelUnit, parseChannelMap, parseTime, readCsv, type ChannelMapping, type CsvOptions, type CsvRecording } from './csv.ts';
