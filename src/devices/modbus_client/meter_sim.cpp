#include "vxbridge/devices/modbus_client/meter_sim.hpp"

#include <algorithm>
#include <cmath>

#include "vxbridge/register_map/value_codec.hpp"

namespace vx::devices::modbus_client {

meter_sim::meter_sim(std::shared_ptr<const register_map::register_map> map, std::uint32_t seed)
    : map_(std::move(map)), rng_(seed) {
    // A meter that has been on the wall for a while.
    e_in_ = {1523.4, 211.8, 187.2};
    e_out_ = {802.5, 0.4, 0.1};
}

void meter_sim::update(const std::array<double, 3>& phase_w, clock::time_point now) {
    if (frozen_) return;
    if (last_ != clock::time_point{}) {
        const double h = std::chrono::duration<double>(now - last_).count() / 3600.0;
        for (std::size_t i = 0; i < 3; ++i) {
            e_in_[i] += std::max(p_[i], 0.0) * h / 1000.0;
            e_out_[i] += std::max(-p_[i], 0.0) * h / 1000.0;
        }
    }
    last_ = now;
    p_ = phase_w;
    // The grid wanders a little: what keeps a live meter's readings from ever freezing.
    std::uniform_real_distribution<double> step(-0.3, 0.3);
    for (auto& v : v_) v = std::clamp(v + step(rng_), 226.0, 234.0);
    f_ = std::clamp(f_ + step(rng_) / 20, 49.95, 50.05);
}

std::map<std::string, core::value> meter_sim::values() const {
    std::map<std::string, core::value> m;
    const auto pf = [](double p) { return std::fabs(p) < 5 ? 1.0 : 0.98; };
    double total_pf_w = 0, total_va = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto n = std::to_string(i + 1);
        m["power_l" + n] = p_[i];
        m["voltage_l" + n] = v_[i];
        m["current_l" + n] = p_[i] / (v_[i] * pf(p_[i]));
        m["power_factor_l" + n] = pf(p_[i]);
        m["energy_import_l" + n] = e_in_[i];
        m["energy_export_l" + n] = e_out_[i];
        total_pf_w += std::fabs(p_[i]);
        total_va += std::fabs(p_[i]) / pf(p_[i]);
    }
    m["power"] = power();
    m["power_factor"] = total_va > 0 ? total_pf_w / total_va : 1.0;
    m["frequency"] = f_;
    m["energy_import"] = e_in_[0] + e_in_[1] + e_in_[2];
    m["energy_export"] = e_out_[0] + e_out_[1] + e_out_[2];
    m["serial"] = std::string("VXSIM0001");
    return m;
}

std::vector<std::uint8_t> meter_sim::handle(std::span<const std::uint8_t> pdu) const {
    std::vector<std::uint8_t> out;
    const auto exception = [&](std::uint8_t code) {
        out = {static_cast<std::uint8_t>((pdu.empty() ? 0 : pdu[0]) | 0x80), code};
        return out;
    };
    if (pdu.empty()) return exception(1);
    const std::uint8_t fc = pdu[0];
    if (fc != 3 && fc != 4) return exception(1);
    if (pdu.size() != 5) return exception(3);
    const auto start = static_cast<unsigned>((pdu[1] << 8) | pdu[2]);
    const auto count = static_cast<unsigned>((pdu[3] << 8) | pdu[4]);
    if (count < 1 || count > std::min(125u, map_->max_read)) return exception(3);
    // FC3 and FC4 read the same registers unless the map has separate tables (Eastron: FC4).
    const auto& table = !map_->separate_tables ? map_->holding
                        : fc == 4              ? map_->input
                                               : map_->holding;
    std::vector<std::uint16_t> words(count, 0);
    const auto vals = values();
    bool any = false;
    for (const auto& e : table.entries) {
        if (e.end() <= start || e.address >= start + count) continue;
        any = true;
        std::vector<std::uint16_t> w(e.width());
        auto v = vals.contains(e.name) ? vals.at(e.name) : core::value{};
        if (!e.sign_of.empty())
            if (const auto d = core::as_double(v)) v = std::fabs(*d);  // the meter has no sign
        register_map::encode(e, v, w);
        for (unsigned k = 0; k < w.size(); ++k) {
            const unsigned a = e.address + k;
            if (a >= start && a < start + count) words[a - start] = w[k];
        }
    }
    if (!any) return exception(2);
    out = {fc, static_cast<std::uint8_t>(count * 2)};
    for (const auto w : words) {
        out.push_back(static_cast<std::uint8_t>(w >> 8));
        out.push_back(static_cast<std::uint8_t>(w & 0xFF));
    }
    return out;
}

}  // namespace vx::devices::modbus_client
