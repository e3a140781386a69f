#!/usr/bin/python3
"""Generates maps/victron-gx/{vebus,system}.yaml from Victron's GX register list
(../shared/data/victron/gx-attributes.csv: service, D-Bus path, D-Bus type, unit or enum text,
register, Modbus type, scale, R/W) and our table of which VE.Bus point feeds which register
(protocols/vebus-mk3-and-gx.md section 3.7). Registers the MK3 cannot provide stay in the map
without a source and read as a GX reads an absent value: 0 (`unavailable: zero`), reserved
registers as 0xFFFF, so a client reading a whole block always gets an answer.

Usage: scripts/gen_gx_maps.py [path/to/gx-attributes.csv]
"""
import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CSV = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "data", "victron", "gx-attributes.csv")
OUT = os.path.join(HERE, "..", "maps", "victron-gx")

# register -> (source point, access override). Access "rw" only where the driver can write it.
VEBUS_SOURCES = {
    3: "ac_in_v", 6: "ac_in_i", 9: "ac_in_f", 12: "ac_in_p",
    15: "ac_out_v", 18: "ac_out_i", 21: "ac_out_f", 22: ("input_current_limit", "rw"),
    23: "ac_out_p", 26: "bat_v", 27: "bat_i", 28: "phases", 29: "active_input", 30: "soc",
    31: "gx_state", 32: "vebus_error", 33: ("mode", "rw"),
    34: "alarm_temperature", 35: "alarm_low_battery", 36: "alarm_overload",
    37: ("ess_setpoint", "rw"), 38: ("ess_disable_charge", "rw"), 39: ("ess_disable_feedin", "rw"),
    44: "alarm_temperature", 45: "alarm_low_battery", 46: "alarm_overload", 47: "alarm_ripple",
    95: "charge_state", 96: ("ess_setpoint", "rw"),
    # L2/L3 of split-phase and 3-phase systems (docs/vebus-multi-unit.md): phase frames F 2/3,
    # powers summed over the units of the phase; read 0 on a single-phase Multi.
    4: "ac_in_v_l2", 5: "ac_in_v_l3", 7: "ac_in_i_l2", 8: "ac_in_i_l3", 10: "ac_in_f_l2",
    11: "ac_in_f_l3", 13: "ac_in_p_l2", 14: "ac_in_p_l3", 16: "ac_out_v_l2", 17: "ac_out_v_l3",
    19: "ac_out_i_l2", 20: "ac_out_i_l3", 24: "ac_out_p_l2", 25: "ac_out_p_l3",
    40: ("ess_setpoint_l2", "rw"), 41: ("ess_setpoint_l3", "rw"),
    98: ("ess_setpoint_l2", "rw"), 100: ("ess_setpoint_l3", "rw"),
    48: "alarm_temperature_l2", 49: "alarm_low_battery_l2", 50: "alarm_overload_l2",
    51: "alarm_ripple_l2", 52: "alarm_temperature_l3", 53: "alarm_low_battery_l3",
    54: "alarm_overload_l3", 55: "alarm_ripple_l3", 105: ("redetect", "rw"),
    # Energies: integrated by the bridge from the powers of every unit (docs/vebus-multi-unit.md).
    74: "energy_acin1_to_acout", 76: "energy_acin1_to_inverter", 78: "energy_acin2_to_acout",
    80: "energy_acin2_to_inverter", 82: "energy_acout_to_acin1", 84: "energy_acout_to_acin2",
    86: "energy_inverter_to_acin1", 88: "energy_inverter_to_acin2", 90: "energy_inverter_to_acout",
    92: "energy_out_to_inverter",
}
VEBUS_CONSTANTS = {57: 0, 58: 0, 59: 0, 60: 0}  # no VE.Bus BMS
# L2/L3 setpoints of a single-phase Multi: accepted and held by the bridge (OpenEMS writes 37-41
# with one FC16 every cycle), not sent anywhere.
VEBUS_HELD = {40, 41, 98, 100}

SYSTEM_SOURCES = {
    817: "consumption_l1_w", 818: "consumption_l2_w", 819: "consumption_l3_w",
    820: "grid_l1_w", 821: "grid_l2_w", 822: "grid_l3_w", 826: "active_source",
    840: "bat_v", 841: "bat_i", 842: "bat_p", 843: "soc", 844: "bat_state",
    865: "bat_i", 866: "bat_p", 868: "bat_i", 870: "bat_p", 878: "ac_out_p",
    902: "consumption_l1_w", 904: "consumption_l2_w", 906: "consumption_l3_w",
    908: "grid_l1_w", 910: "grid_l2_w", 912: "grid_l3_w",
}
# Grid and consumption per phase come from the bridge's systemcalc part (the ESS service): the
# grid meter when the site has one (ess.grid_meter), else the Multi's AC input (section 4 of
# protocols/ess-and-grid-meters.md).
SYSTEMCALC = {817, 818, 819, 820, 821, 822, 902, 904, 906, 908, 910, 912}

# com.victronenergy.grid (2600-2650) from a grid meter (`driver: modbus`): the meter's points.
GRID_SOURCES = {
    2600: "power_l1", 2601: "power_l2", 2602: "power_l3",
    2603: "energy_import_l1", 2604: "energy_import_l2", 2605: "energy_import_l3",
    2606: "energy_export_l1", 2607: "energy_export_l2", 2608: "energy_export_l3",
    2609: "serial", 2616: "voltage_l1", 2617: "current_l1", 2618: "voltage_l2",
    2619: "current_l2", 2620: "voltage_l3", 2621: "current_l3",
    2622: "energy_import_l1", 2624: "energy_import_l2", 2626: "energy_import_l3",
    2628: "energy_export_l1", 2630: "energy_export_l2", 2632: "energy_export_l3",
    2634: "energy_import", 2636: "energy_export",
    2638: "power_l1", 2640: "power_l2", 2642: "power_l3", 2644: "frequency",
    2645: "power_factor_l1", 2646: "power_factor_l2", 2647: "power_factor_l3",
    2648: "power_factor",
}
SYSTEM_CONSTANTS = {800: "vxbridge0001"}
# The ESS settings (com.victronenergy.settings / hub4 on a GX) are the bridge's ESS loop's
# (protocols/ess-and-grid-meters.md section 1): {ess: NAME}, validated by the loop itself so an
# out-of-range write gets the GX's answer (0x0A, a failed SetValue), not the map's 0x03.
ESS_SOURCES = {
    2700: ("ac_power_setpoint", "rw"), 2701: ("max_charge_percentage", "rw"),
    2702: ("max_discharge_percentage", "rw"), 2703: ("ac_power_setpoint", "rw"),
    2704: ("max_discharge_power", "rw"), 2705: ("max_charge_current", "rw"),
    2706: ("max_feed_in_power", "rw"), 2707: ("overvoltage_feed_in", "rw"),
    2708: ("prevent_feedback", "rw"), 2709: "pv_power_limiter_active",
    2710: ("max_charge_voltage", "rw"), 2711: ("ac_input1", "rw"), 2712: ("ac_input2", "rw"),
    2713: ("ac_export_limit", "rw"), 2714: ("ac_input_limit", "rw"),
    2715: ("always_peak_shave", "rw"), 2716: ("override_setpoint", "rw"),
    2718: ("run_without_grid_meter", "rw"), 2720: ("max_discharge_power", "rw"),
    2722: ("max_feed_in_power", "rw"), 2724: "pv_disable",
    2900: ("batterylife_state", "rw"), 2901: ("minimum_soc", "rw"), 2902: ("hub4_mode", "rw"),
    2903: "soc_limit",
}
# Dynamic ESS is off on a bridge: 5400-5407 and 5420-5429 read 0 ("off", "not available"), so
# the blocks Home Assistant reads and openWB's DESS check answer in one piece.
DESS_CONSTANTS = {r: 0 for r in list(range(5400, 5408)) + list(range(5420, 5430))}
# evcc and Home Assistant read 808-850 with FC4 in one block; 830 and 834 are internal types on
# a GX (UTC seconds, firmware version): 830 is the bridge's clock ({bridge: ...} sources are
# served by the bridge itself, whatever the unit's driver); 834 has no source.
SYSTEM_EXTRA = {830: ("u64", 4, "/DateAndTime (UTC seconds, the bridge's clock)", "utc_seconds"),
                834: ("u32", 2, "/FirmwareVersion (not known to the bridge)", None)}

TYPES = {"int16": "i16", "uint16": "u16", "int32": "i32", "uint32": "u32", "uint64": "u64"}


def rows(service):
    with open(CSV, newline="") as f:
        for line in csv.reader(f):
            if not line or not line[0].endswith("." + service):
                continue
            # The unit/enum text may contain commas: the last four columns are fixed.
            path, dtype = line[1], line[2]
            text = ",".join(line[3:-4])
            reg, mtype, scale, rw = line[-4:]
            yield path, dtype, text, int(reg), mtype, scale, rw


def enum_of(text):
    pairs = re.findall(r"(-?\d+)=([^;]+)", text)
    if len(pairs) < 2 or text.endswith("..."):
        return None
    return {int(k): v.strip() for k, v in pairs}


def number(s):
    v = float(s) if s else 1.0
    v = v or 1.0  # scale 0/empty is treated as 1 (GX mappings.cpp)
    return int(v) if v == int(v) else v


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def entry(path, text, reg, mtype, scale, rw, sources, constants, name_seen):
    m = re.match(r"(reserved|string)\[(\d+)\]", mtype)
    base = re.sub(r"[^A-Za-z0-9]+", "_", path.strip("/")).strip("_").lower() or "reserved"
    name = base
    n = 2
    while name in name_seen:
        name = f"{base}_{n}"
        n += 1
    name_seen.add(name)
    fields = {"name": name, "address": reg}
    if m:
        fields["type"] = "pad" if m.group(1) == "reserved" else "string"
        fields["length"] = int(m.group(2))
    elif mtype in TYPES:
        fields["type"] = TYPES[mtype]
        if number(scale) != 1:
            fields["scale"] = number(scale)
    else:
        return None
    src = sources.get(reg)
    access = "r"
    if isinstance(src, tuple):
        src, access = src
    if fields["type"] != "pad":
        if src:
            kind = ("ess" if reg in ESS_SOURCES or (sources is not VEBUS_SOURCES and reg in SYSTEMCALC)
                    else "modbus" if sources is GRID_SOURCES else "vebus")
            fields["source"] = "{%s: %s}" % (kind, src)
        elif reg in constants:
            fields["source"] = "{value: %s}" % constants[reg]
        unit = text if text and "=" not in text else ""
        if unit:
            fields["unit"] = quote(unit)
        e = enum_of(text)
        if e and fields["type"] in ("u16", "i16") and not (access == "rw" and reg in ESS_SOURCES):
            fields["enum"] = "{" + ", ".join(f"{k}: {quote(v)}" for k, v in e.items()) + "}"
        if access == "rw":
            fields["access"] = "rw"
        if sources is VEBUS_SOURCES and reg in VEBUS_HELD:
            fields["access"] = "rw"
            fields["description"] = quote(path + " (the phase total, divided by the phase's "
                                          "units; a Multi without this phase holds it, not sent)")
            return fields
        if sources is VEBUS_SOURCES and 48 <= reg <= 55:
            fields["description"] = quote(path + " (no per-phase source over the MK3: the system "
                                          "alarm on every phase the system has, or 0 with "
                                          "phase_alarms: zero)")
            return fields
    missing = " (not provided by the meter: reads 0)" if sources is GRID_SOURCES else " (not provided by the MK3: reads 0)"
    desc = path + ("" if src or reg in constants or fields["type"] == "pad" else missing)
    if rw == "W" and access != "rw" and fields["type"] != "pad":
        desc += "; writable on a GX, read-only here"
    fields["description"] = quote(desc)
    return fields


def write_map(services, name, header, sources, constants, ranges, extra=None, limits=None):
    seen, out = set(), []
    selected = []
    for service in services:
        for row in rows(service):
            if any(lo <= row[3] <= hi for lo, hi in ranges):
                selected.append(row)
    selected.sort(key=lambda r: r[3])
    for path, dtype, text, reg, mtype, scale, rw in selected:
        f = entry(path, text, reg, mtype, scale, rw, sources, constants, seen)
        if f is None and extra and reg in extra:
            t, width, d, bridge = extra[reg]
            f = {"name": re.sub(r"[^a-z0-9]+", "_", path.strip("/").lower()), "address": reg,
                 "type": t}
            if bridge:
                f["source"] = "{bridge: %s}" % bridge
            f["description"] = quote(d)
        if f is None:
            continue
        if limits and reg in limits:
            f.update(limits[reg])
        out.append(f)
    with open(os.path.join(OUT, name), "w") as fh:
        fh.write(header)
        for f in out:
            fh.write("  - {" + ", ".join(f"{k}: {v}" for k, v in f.items()) + "}\n")


VEBUS_HEADER = """# Victron GX Modbus-TCP map, service com.victronenergy.vebus (registers 3-109), served from a
# Multi through an MK3 by `driver: vebus`. Generated by scripts/gen_gx_maps.py from Victron's
# register list (attributes.csv v1.0.101) - edit the script, not this file.
#
# Conventions (as on a GX): addresses are 0-based PDU addresses; register = round(value x scale),
# a write gives value = register / scale; 32-bit values high word first. Values the MK3 cannot
# provide read 0, as a GX reads an absent D-Bus value. 37 and 96 (int32) are the ESS mode-3
# setpoint in W at the AC input: positive = charge (take from the grid), negative = feed in.
# The bridge refreshes it every ess.refresh and falls back to 0 W after ess.setpoint_timeout
# without a write; 38/39 block charging / feeding in.
schema: 1
name: victron-gx-vebus
driver: vebus
description: Victron GX com.victronenergy.vebus registers 3-109 from an MK3-connected Multi.
word_order: big
max_age: 10
unavailable: zero
partial_writes: merge
registers:
"""

SYSTEM_HEADER = """# Victron GX Modbus-TCP map, service com.victronenergy.system (unit 100, registers 800-918),
# derived from the Multi by `driver: vebus`: without a GX there is no systemcalc, so battery
# values come from the Multi's DC side, grid power from its AC input and consumption from its AC
# output (protocols/vebus-mk3-and-gx.md section 3.5). Generated by scripts/gen_gx_maps.py.
#
# Conventions as in vebus.yaml. evcc reads 808-850 with FC4 and Home Assistant reads blocks from
# 800: every register of 800-918 is mapped; what is not known reads 0, reserved reads 0xFFFF.
#
# 2700-2724 and 2900-2903 are the ESS settings energy managers write (evcc 2901, openWB 2902,
# 2702, 2716, Home Assistant 2700-2708, 2900-2902): the bridge's ESS loop holds and acts on them
# ({ess: ...}; ess.mode in the site config is where a fresh site starts). A write outside a
# setting's range answers 0x0A, as a GX answers a refused D-Bus SetValue; an FC6 to one half of
# an int32 (2716, 2720, 2722) merges with the other half, as on a GX. 2716 (the grid setpoint
# override) is volatile and expires after ess.override_timeout (180 s); the others survive a
# restart (state: {dir: ...}). 5400-5407 / 5420-5429: Dynamic ESS is off (all 0).
schema: 1
name: victron-gx-system
driver: vebus
description: Victron GX com.victronenergy.system registers 800-918 derived from an MK3-connected Multi, the ESS settings 2700-2724 / 2900-2903 of the bridge's ESS loop, Dynamic ESS 5400-5429 (off).
word_order: big
max_age: 10
unavailable: zero
partial_writes: merge
registers:
"""

GRID_HEADER = """# Victron GX Modbus-TCP map, service com.victronenergy.grid (registers 2600-2650): a grid meter
# polled by the bridge (`driver: modbus`, any model of maps/meters/), served on the unit a GX
# gives its first RS-485 meter (30; 40 for a Modbus-TCP meter on a GX). evcc reads
# 2617/2619/2621, Home Assistant reads 2600-2644 and 2645-2648 as blocks. Generated by
# scripts/gen_gx_maps.py from Victron's register list - edit the script, not this file.
#
# Power is + import / - export, currents are signed like their phase power. 2603-2608 are
# uint16 x100 kWh: on a GX they wrap above 655.35 kWh, here they saturate (65534) - read the
# uint32 counters 2622-2636. A point the meter model does not have (the EM24's per-phase export
# energy, the EM24 Ethernet's power factors) reads 0, as on a GX.
schema: 1
name: victron-gx-grid
driver: modbus
description: Victron GX com.victronenergy.grid registers 2600-2650 from a grid meter polled by the bridge.
word_order: big
max_age: 10
unavailable: zero
registers:
"""

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_map(["vebus"], "vebus.yaml", VEBUS_HEADER, VEBUS_SOURCES, VEBUS_CONSTANTS, [(3, 109)],
              limits={22: {"min": 0, "max": 100}, 33: {}})
    write_map(["system", "settings", "hub4"], "system.yaml", SYSTEM_HEADER,
              {**SYSTEM_SOURCES, **ESS_SOURCES}, {**SYSTEM_CONSTANTS, **DESS_CONSTANTS},
              [(800, 918), (2700, 2724), (2900, 2903), (5400, 5407), (5420, 5429)],
              extra=SYSTEM_EXTRA)
    write_map(["grid"], "grid.yaml", GRID_HEADER, GRID_SOURCES, {}, [(2600, 2650)])
    print("wrote", OUT)
