// A VE.Bus system behind one MK3 (protocols/vebus-multi-unit.md): its topology as discovery
// finds it (config frames F 07, phase frames F 1..3, cross-checked), one multi_state per unit
// (winmon replies of the unit selected with 'A'), the phase frames, and the points the GX map
// reads: per-phase values, powers summed over the units of a phase, system values from the L1
// master. Pure: the driver feeds it request/reply pairs.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vxbridge/core/value.hpp"
#include "vxbridge/devices/vebus/multi_state.hpp"

namespace vx::devices::vebus {

struct vebus_unit {
    std::uint8_t addr = 0;
    int phase = 0;  // 0..2
    bool master = false;
    std::optional<std::uint32_t> unique;  // from its config frame
};

struct topology {
    int phases = 1;
    std::vector<vebus_unit> units;  // ascending addresses
    // Units per phase as the phase frames' inverter factors say (what an ESS setpoint is
    // divided by); the units found when a phase frame is missing.
    std::array<int, 3> per_phase{1, 0, 0};
    bool from_config = false;           // shortIds from F 07 00 (else probed)
    std::vector<std::string> warnings;  // cross-check findings, one line each

    std::optional<std::uint8_t> master(int phase) const;
    int found_on(int phase) const;
    bool multi_unit() const { return units.size() > 1; }
    // "3 phases x 2 units: L1 {0,3} L2 {1,4} L3 {2,5}".
    std::string describe() const;
};

// What discovery read, to a topology: `short_ids` from F 07 00 (nullopt: no answer; then
// `probed`, the addresses that answered a winmon read), the phase frames by phase number 1..3,
// the per-unit config frames. Phase of a unit: addr % phases (velib's rule; all on L1 in a
// single-phase system), master: the lowest address of its phase. Mismatches between the
// phase frames' factors and the units found are warnings; the factors win.
topology make_topology(std::optional<std::uint32_t> short_ids,
                       const std::map<int, ac_info>& phase_frames,
                       const std::map<std::uint8_t, config_info>& configs,
                       const std::vector<std::uint8_t>& probed);

// Where a phase's power goes (W, all >= 0), from its AC-in power (+ = import) and AC-out power
// (+ = load, - = PV on AC-out feeding back): the GX /Energy paths as flows through the Multi.
// AC-in serves AC-out first and charges with the rest; the inverter covers what AC-in does not;
// exported power comes from AC-out's surplus first, then from the inverter.
struct energy_flows {
    double in_to_out = 0, in_to_inverter = 0, out_to_in = 0, inverter_to_in = 0,
           inverter_to_out = 0, out_to_inverter = 0;
};
energy_flows split_flows(double ac_in_w, double ac_out_w);

// Per-phase GX alarms 44-55: the MK3 has no per-phase source ('L' is system-wide) [U]; mirror
// the system alarm into every phase the system has, or report 0.
enum class phase_alarms { mirror, zero };

class vebus_system {
  public:
    explicit vebus_system(phase_alarms alarms = phase_alarms::mirror) : alarms_(alarms) {}

    void set_topology(topology t);
    const topology& topo() const { return topo_; }

    // The L1 master (address 0): 'V', 'A', 'L', 'F' 0/1/5, 'S' and its winmon replies.
    multi_state& main() { return units_[0]; }
    const multi_state& main() const { return units_.at(0); }
    multi_state& unit(std::uint8_t addr) { return units_[addr]; }

    // A reply to `request` while `selected` is the address set with 'A'.
    bool apply(std::uint8_t selected, const frame& request, const frame& reply);
    void sent(const frame& request);  // 'F' 06 reaches every unit
    void unsolicited(const frame& f) { main().unsolicited(f); }
    // No answer: that unit (a winmon read) or phase frame goes unavailable until it answers.
    void lost(std::uint8_t selected, const frame& request);
    bool unit_lost(std::uint8_t addr) const { return lost_units_.contains(addr); }
    bool phase_lost(int phase) const { return lost_phases_[phase]; }

    // A point by name: multi_state's names (L1 and system values; powers summed over the L1
    // units), their _l2/_l3 variants, `units`; monostate when unknown or unavailable.
    core::value point(const std::string& name) const;
    static const std::vector<std::string>& point_names();

    // GX registers 74-93 (/Energy/...): the MK3's kWh counters ('X' 0F) are undocumented
    // "rolling byte counters", so the bridge integrates the flows of every phase (powers summed
    // over its units) over `seconds` since the last call; counted from the bridge's start.
    void integrate(double seconds);

  private:
    std::optional<double> phase_sum(int phase, std::uint8_t id, double sign) const;
    core::value phase_point(int phase, const std::string& base) const;

    phase_alarms alarms_;
    topology topo_;
    std::map<std::uint8_t, multi_state> units_{{0, multi_state{}}};
    std::array<multi_state, 3> phase_frames_;  // L2, L3 decoded with the L1 master's scales
    std::set<std::uint8_t> lost_units_;
    std::array<bool, 3> lost_phases_{};
    std::map<std::string, double> energy_kwh_;
};

}  // namespace vx::devices::vebus
