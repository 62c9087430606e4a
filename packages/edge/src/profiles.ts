// Generated from profiles/*.yaml by scripts/build-profiles.ts: do not edit; edit the YAML and regenerate.
// The shipped profiles as plain objects, for devices that cannot parse YAML (a test keeps them in step).
import type { Profile } from './profile.ts';

export const residentialProfile: Profile = {
  "name": "residential",
  "description": "Single-phase residential meter, 230 V / 50 Hz, direct connected, Imax 100 A.",
  "channels": [
    "voltage",
    "current",
    "activePower",
    "reactivePower",
    "apparentPower",
    "powerFactor",
    "frequency",
    "energyImport"
  ],
  "time": {
    "interval_ms": 0,
    "gap_factor": 15 / 10,
    "sequence_modulo": 4294967296
  },
  "limits": {
    "voltage": {
      "min": 207,
      "max": 253
    },
    "current": {
      "min": 0,
      "max": 100
    },
    "activePower": {
      "min": -25300,
      "max": 25300
    },
    "reactivePower": {
      "min": -25300,
      "max": 25300
    },
    "apparentPower": {
      "min": 0,
      "max": 25300
    }
  },
  "rate_of_change": {
    "voltage": {
      "max_step": 23
    }
  },
  "spike": {
    "voltage": {
      "abs": 115 / 10
    },
    "current": {
      "abs": 2,
      "rel": 5 / 10,
      "companion": "activePower",
      "companion_floor": 230,
      "companion_ratio": 5 / 10
    },
    "activePower": {
      "abs": 460,
      "rel": 5 / 10,
      "companion": "current",
      "companion_floor": 1,
      "companion_ratio": 3 / 10
    }
  },
  "stuck": {
    "voltage": {
      "samples": 10
    }
  },
  "energy": {
    "energyImport": {
      "modulus": 100000000,
      "max_power": 25300,
      "resolution": 1
    }
  },
  "physics": [
    {
      "voltage": "voltage",
      "current": "current",
      "active": "activePower",
      "reactive": "reactivePower",
      "apparent": "apparentPower",
      "power_factor": "powerFactor",
      "rel_high": 5 / 100,
      "abs_current": 3 / 10,
      "ratio_min": 45 / 100,
      "pf_tolerance": 5 / 100
    }
  ],
  "frequency": {
    "channel": "frequency",
    "normal": [
      495 / 10,
      505 / 10
    ],
    "limit": [
      47,
      52
    ],
    "rocof_max": 2,
    "window": 10
  },
  "filters": {}
};

export const threePhaseProfile: Profile = {
  "name": "three-phase",
  "description": "Three-phase four-wire meter, 230/400 V / 50 Hz, direct connected, Imax 100 A per phase.",
  "channels": [
    "voltageL1",
    "voltageL2",
    "voltageL3",
    "currentL1",
    "currentL2",
    "currentL3",
    "activePowerL1",
    "activePowerL2",
    "activePowerL3",
    "reactivePowerL1",
    "reactivePowerL2",
    "reactivePowerL3",
    "activePower",
    "reactivePower",
    "frequency",
    "energyImport",
    "energyExport"
  ],
  "time": {
    "interval_ms": 0,
    "gap_factor": 15 / 10,
    "sequence_modulo": 4294967296
  },
  "limits": {
    "voltageL1": {
      "min": 207,
      "max": 253
    },
    "voltageL2": {
      "min": 207,
      "max": 253
    },
    "voltageL3": {
      "min": 207,
      "max": 253
    },
    "currentL1": {
      "min": 0,
      "max": 100
    },
    "currentL2": {
      "min": 0,
      "max": 100
    },
    "currentL3": {
      "min": 0,
      "max": 100
    },
    "activePowerL1": {
      "min": -25300,
      "max": 25300
    },
    "activePowerL2": {
      "min": -25300,
      "max": 25300
    },
    "activePowerL3": {
      "min": -25300,
      "max": 25300
    },
    "activePower": {
      "min": -75900,
      "max": 75900
    },
    "reactivePower": {
      "min": -75900,
      "max": 75900
    }
  },
  "rate_of_change": {
    "voltageL1": {
      "max_step": 23
    },
    "voltageL2": {
      "max_step": 23
    },
    "voltageL3": {
      "max_step": 23
    }
  },
  "spike": {
    "voltageL1": {
      "abs": 115 / 10
    },
    "voltageL2": {
      "abs": 115 / 10
    },
    "voltageL3": {
      "abs": 115 / 10
    },
    "currentL1": {
      "abs": 2,
      "rel": 5 / 10,
      "companion": "activePowerL1",
      "companion_floor": 230,
      "companion_ratio": 5 / 10
    },
    "currentL2": {
      "abs": 2,
      "rel": 5 / 10,
      "companion": "activePowerL2",
      "companion_floor": 230,
      "companion_ratio": 5 / 10
    },
    "currentL3": {
      "abs": 2,
      "rel": 5 / 10,
      "companion": "activePowerL3",
      "companion_floor": 230,
      "companion_ratio": 5 / 10
    }
  },
  "stuck": {
    "voltageL1": {
      "samples": 10
    },
    "voltageL2": {
      "samples": 10
    },
    "voltageL3": {
      "samples": 10
    }
  },
  "energy": {
    "energyImport": {
      "modulus": 100000000,
      "max_power": 75900,
      "resolution": 1
    },
    "energyExport": {
      "modulus": 100000000,
      "max_power": 75900,
      "resolution": 1
    }
  },
  "physics": [
    {
      "voltage": "voltageL1",
      "current": "currentL1",
      "active": "activePowerL1",
      "reactive": "reactivePowerL1",
      "rel_high": 5 / 100,
      "abs_current": 3 / 10,
      "ratio_min": 45 / 100
    },
    {
      "voltage": "voltageL2",
      "current": "currentL2",
      "active": "activePowerL2",
      "reactive": "reactivePowerL2",
      "rel_high": 5 / 100,
      "abs_current": 3 / 10,
      "ratio_min": 45 / 100
    },
    {
      "voltage": "voltageL3",
      "current": "currentL3",
      "active": "activePowerL3",
      "reactive": "reactivePowerL3",
      "rel_high": 5 / 100,
      "abs_current": 3 / 10,
      "ratio_min": 45 / 100
    }
  ],
  "phase_sum": [
    {
      "total": "activePower",
      "parts": [
        "activePowerL1",
        "activePowerL2",
        "activePowerL3"
      ],
      "abs": 10,
      "rel": 1 / 100
    },
    {
      "total": "reactivePower",
      "parts": [
        "reactivePowerL1",
        "reactivePowerL2",
        "reactivePowerL3"
      ],
      "abs": 10,
      "rel": 1 / 100
    }
  ],
  "frequency": {
    "channel": "frequency",
    "normal": [
      495 / 10,
      505 / 10
    ],
    "limit": [
      47,
      52
    ],
    "rocof_max": 2,
    "window": 10
  },
  "filters": {}
};

export const pmuProfile: Profile = {
  "name": "pmu",
  "description": "Phasor measurement unit, 50 Hz system, frequency and ROCOF with positive-sequence voltage and current.",
  "channels": [
    "voltage",
    "current",
    "frequency",
    "rocof"
  ],
  "time": {
    "interval_ms": 0,
    "gap_factor": 15 / 10,
    "sequence_modulo": 65536
  },
  "limits": {
    "voltage": {
      "min": 207,
      "max": 253
    },
    "current": {
      "min": 0,
      "max": 100
    }
  },
  "rate_of_change": {
    "voltage": {
      "max_step": 23
    }
  },
  "spike": {
    "frequency": {
      "abs": 5 / 100
    },
    "voltage": {
      "abs": 115 / 10
    }
  },
  "stuck": {
    "frequency": {
      "samples": 50
    },
    "voltage": {
      "samples": 50
    }
  },
  "frequency": {
    "channel": "frequency",
    "rocof": "rocof",
    "normal": [
      495 / 10,
      505 / 10
    ],
    "limit": [
      47,
      52
    ],
    "rocof_max": 2,
    "window": 10,
    "rocof_tolerance": 25 / 100
  },
  "filters": {}
};

/** The shipped profiles, by name. */
export const builtInProfiles: Profile[] = [residentialProfile, threePhaseProfile, pmuProfile];
