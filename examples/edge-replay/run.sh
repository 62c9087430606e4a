#!/bin/sh
# Replays the real household recording through the residential profile, then again with seeded fault injection.
# Run from the repository root: sh examples/edge-replay/run.sh
set -e
MAP=voltage=Voltage:V,current=Global_intensity:A,activePower=Global_active_power:kW,reactivePower=Global_reactive_power:kvar
npx meterchain edge replay --csv ../shared/data/uci-household-2006-12.csv --time Date,Time --map "$MAP" --profile residential
npx meterchain edge replay --csv ../shared/data/uci-household-2006-12.csv --time Date,Time --map "$MAP" --inject 1
