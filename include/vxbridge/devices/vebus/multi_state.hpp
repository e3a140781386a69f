// What the bridge knows about a Multi, built from MK3 request/reply pairs (pure). The driver
// feeds it; the replay tests feed it captured streams; points are read from it by name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "vxbridge/core/value.hpp"
#include "vxbridge/devices/vebus/mk3_messages.hpp"

namespace vx::devices::vebus {

struct measurements {
    std::optional<std::uint32_t> mk3_version;
    std::optional<double> ac_in_v, ac_in_i, ac_in_f, ac_in_p;
    std::optional<double> ac_out_v, ac_out_i, ac_out_f, ac_out_p;
    std::optional<double> bat_v, bat_i, bat_p, soc;
    std::optional<int> phases, device_state, charge_state, vebus_error, active_input;
    std::optional<std::uint8_t> led_on, led_blink, alarms;
    std::optional<double> input_limit, input_limit_min, input_limit_max;
    std::optional<std::uint8_t> switch_register;
};

class multi_state {
  public:
    // Applies `reply` to the `request` that asked for it. False when they do not belong together.
    bool apply(const frame& request, const frame& reply);
    // A request that gets no reply but changes what later replies mean ('F' 06 snapshot ids).
    void sent(const frame& request);
    // Frames nobody asked for (version frames every second, LED-appended frames).
    void unsolicited(const frame& f);

    const measurements& values() const { return m_; }
    const std::map<std::uint8_t, ram_scale>& scales() const { return scales_; }
    std::optional<std::uint16_t> ram_raw(std::uint8_t id) const;
    void clear_ram(std::uint8_t id) {
        raw_.erase(id);
        unsupported_.erase(id);
    }
    // The Multi answered "variable not supported" (0x90) for this RAM id.
    bool ram_unsupported(std::uint8_t id) const { return unsupported_.contains(id); }
    // A RAM value in engineering units (its RAM-variable info applied); nullopt if unknown.
    std::optional<double> ram_scaled(std::uint8_t id) const;
    // All RAM-variable infos of kScaleIds read (a unit's scales need not be read again).
    bool has_scales(std::span<const std::uint8_t> ids) const;
    void set_scales(const std::map<std::uint8_t, ram_scale>& s) { scales_ = s; }
    // A phase frame ('F' 1..3) decoded with these scales: V, I x factors, frequency, state.
    void apply_phase(const ac_info& a);

    // A point by name (the `key` of `source: {vebus: NAME}`); monostate when unknown yet.
    core::value point(const std::string& name) const;
    static const std::vector<std::string>& point_names();

  private:
    void ram_value(std::uint8_t id, std::uint16_t raw);
    std::optional<double> scaled(std::uint8_t id, std::uint16_t raw) const;
    void apply_dc(const dc_info& d);

    measurements m_;
    std::map<std::uint8_t, ram_scale> scales_;
    std::map<std::uint8_t, std::uint16_t> raw_;
    std::set<std::uint8_t> unsupported_;

    std::vector<std::uint8_t> snapshot_ids_;
    std::optional<double> dc_charger_a_, dc_inverter_a_;
};

// GX /State (register 31) from the device state and charge sub-state (section 1.10 mapping).
std::optional<int> gx_state(const measurements& m);

// ESS assistant scan (section 1.11): from the header read at `id`, what to do next. The loop
// the reference Python driver uses has a precedence bug with low nibble 0xF; this one does not.
struct scan_step {
    bool done = false;                   // no (more) assistants
    std::optional<std::uint8_t> ess_id;  // the ESS setpoint RAM id (header id + 1)
    std::uint8_t next = 0;               // the next header to read
};
scan_step assistant_scan_step(std::uint8_t id, std::uint16_t header);

}  // namespace vx::devices::vebus
