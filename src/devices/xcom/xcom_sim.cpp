#include "vxbridge/devices/xcom/xcom_sim.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace vx::devices::xcom {

namespace {

std::size_t size_of(data_format f) {
    switch (f) {
        case data_format::boolean:
            return 1;
        case data_format::short_enum:
        case data_format::format:
        case data_format::error:
            return 2;
        default:
            return 4;
    }
}

bool present(const std::vector<std::uint32_t>& devices, std::uint32_t a) {
    return std::find(devices.begin(), devices.end(), a) != devices.end();
}

}  // namespace

xcom_sim::xcom_sim(xcom_sim_options o) : o_(std::move(o)) {}

// The devices a request addresses: itself, or every present device of a multicast family.
std::vector<std::uint32_t> xcom_sim::targets(std::uint32_t dst) const {
    if (!is_multicast(dst))
        return present(o_.devices, dst) || dst == kXcomAddress ? std::vector{dst}
                                                               : std::vector<std::uint32_t>{};
    const auto fams = families_of(dst);
    std::vector<std::uint32_t> out;
    for (auto a : o_.devices)
        if (!fams.empty() && families_of(a) == fams) out.push_back(a);
    return out;
}

xcom_sim::param_state& xcom_sim::state(std::uint32_t address, const datapoint& d) {
    auto [it, fresh] = params_.try_emplace({address, d.nr});
    if (fresh) it->second.flash = it->second.ram = std::isnan(d.def) ? 0.0 : d.def;
    return it->second;
}

const xcom_sim::param_state* xcom_sim::param(std::uint32_t address, std::uint32_t nr) const {
    const auto it = params_.find({address, nr});
    return it == params_.end() ? nullptr : &it->second;
}

// Plausible live values: a battery around 51 V, SoC around 75 %, slow daily-ish variation.
double xcom_sim::info_value(const datapoint& d, std::uint32_t address,
                            clock::time_point now) const {
    const double t = std::chrono::duration<double>(now - start_).count();
    const double wave = std::sin(t / 30.0 + static_cast<double>(address % 7));
    const std::uint32_t local = d.nr % 1000;
    if (d.format == data_format::short_enum) return d.nr == 3010 ? 4 : 1;  // floating / on
    switch (local) {
        case 0:
            return 51.2 + 0.4 * wave;  // battery voltage (3000, 7000, 11000, 15000)
        case 1:
            return 12.5 + 5.0 * wave;  // temperature / current
        case 2:
            return d.fam == family::bsp ? 75.0 + 2.0 * wave : 120.0 + 20 * wave;
        case 7:
            return 75.0 + 2.0 * wave;  // SoC (XT)
        default:
            return static_cast<double>(local % 97) / 10.0 + 0.1 * wave;
    }
}

frame xcom_sim::handle_info(const frame& q, const datapoint& d, std::uint32_t address,
                            clock::time_point now) {
    if (q.service_id == service::write) return error_response(q, scom_error::property_is_read_only);
    // Infos answer property 1 (the spec), and 5 / 0x0D as real gateways do (section 1.5).
    if (q.property_id != property::value && q.property_id != property::value_qsp &&
        q.property_id != property::unsaved_value_qsp)
        return error_response(q, scom_error::property_not_supported);
    return response_to(q, encode_value(d.format, info_value(d, address, now)));
}

frame xcom_sim::handle_param(const frame& q, const datapoint& d,
                             const std::vector<std::uint32_t>& to) {
    auto& s = state(to.front(), d);
    if (q.service_id == service::read) {
        switch (q.property_id) {
            case property::value_qsp:
                return response_to(q, encode_value(d.format, s.flash));
            case property::unsaved_value_qsp:
                return response_to(q, encode_value(d.format, s.ram));
            case property::min_qsp:
                return response_to(q, encode_value(d.format, std::isnan(d.min) ? 0 : d.min));
            case property::max_qsp:
                return response_to(q, encode_value(d.format, std::isnan(d.max) ? 0 : d.max));
            case property::level_qsp:
                return response_to(q, encode_value(data_format::short_enum, d.level));
            default:
                return error_response(q, scom_error::property_not_supported);
        }
    }
    if (q.property_id != property::value_qsp && q.property_id != property::unsaved_value_qsp)
        return error_response(q, q.property_id <= property::level_qsp
                                     ? scom_error::property_is_read_only
                                     : scom_error::property_not_supported);
    if (q.data.size() != size_of(d.format))
        return error_response(q, scom_error::invalid_data_length);
    const auto v = decode_value(d.format, q.data);
    if (!v || std::isnan(*v)) return error_response(q, scom_error::invalid_data);
    if (d.signal && *v != 1) return error_response(q, scom_error::invalid_data);
    if (!d.signal && !std::isnan(d.min) && *v < d.min)
        return error_response(q, scom_error::data_too_small);
    if (!d.signal && !std::isnan(d.max) && *v > d.max)
        return error_response(q, scom_error::data_too_big);
    for (auto a : to) {  // a multicast write changes every device of the family
        auto& t = state(a, d);
        if (d.signal) continue;
        t.ram = *v;
        t.applied.push_back(*v);

        if (q.property_id == property::value_qsp) {
            t.flash = *v;
            ++t.flash_writes;
        }
    }
    return response_to(q, {});
}

frame xcom_sim::handle_multi_info(const frame& q, clock::time_point now) {
    if (!o_.multi_info) return error_response(q, scom_error::service_not_supported);
    if (q.service_id != service::read) return error_response(q, scom_error::property_is_read_only);
    const std::size_t n = q.data.size() / 3;
    if (q.data.size() % 3 != 0 || n == 0 || n > kMaxMultiInfo)
        return error_response(q, scom_error::invalid_service_argument);
    multi_info_reply r;
    r.time = static_cast<std::uint32_t>(std::time(nullptr));
    for (auto a : o_.devices) {
        const auto f = families_of(a).front();
        r.flags |= f == family::xt    ? 0x20u
                   : f == family::bsp ? 0x40u
                   : f == family::vt  ? 0x80u
                                      : 0x100u;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t nr =
            static_cast<std::uint16_t>(q.data[3 * i] | (q.data[3 * i + 1] << 8));
        const std::uint8_t agg = q.data[3 * i + 2];
        double value = std::nan("");
        for (auto a : o_.devices) {  // master (0) = the first device; 1..15 = that device
            const auto* d = find_for_address(a, kind::info, nr);
            const auto uid = a % 100 == 1 || families_of(a).front() == family::bsp ? 1u : a % 100;
            if (d && (agg == 0 || agg >= 0xFD || agg == uid)) {
                value = info_value(*d, a, now);
                break;
            }
        }
        r.values.push_back({nr, agg, static_cast<float>(value)});
    }
    return response_to(q, encode_multi_info_reply(r));
}

std::optional<frame> xcom_sim::handle(const frame& q, clock::time_point now) {
    if (q.is_response()) return std::nullopt;
    ++requests_;
    std::optional<frame> r;
    if (busy_) {
        r = error_response(q, scom_error::gateway_busy);
    } else if (q.service_id != service::read && q.service_id != service::write) {
        r = error_response(q, scom_error::service_not_supported);
    } else if (q.dst == kXcomAddress && q.object_type == object_type::multi_info) {
        r = handle_multi_info(q, now);
    } else if (q.dst == kXcomAddress && q.object_type == object_type::message) {
        std::vector<std::uint8_t> d(18, 0);  // no messages: total 0
        r = response_to(q, std::move(d));
    } else {
        const auto to = targets(q.dst);
        if (to.empty()) {
            r = error_response(q, scom_error::device_not_found);
        } else if (is_multicast(q.dst) && q.service_id == service::read && !o_.multicast_reads) {
            r = error_response(q, scom_error::multicast_read_not_supported);
        } else if (q.object_type == object_type::info || q.object_type == object_type::parameter) {
            const auto k = q.object_type == object_type::info ? kind::info : kind::parameter;
            const auto* d = find_for_address(to.front(), k, q.object_id);
            if (!d)
                r = error_response(q, scom_error::object_id_not_found);
            else if (k == kind::info)
                r = handle_info(q, *d, to.front(), now);
            else
                r = handle_param(q, *d, to);
        } else {
            r = error_response(q, scom_error::type_not_supported);
        }
    }
    r->frame_flags = 0x20;  // datalog supported
    return r;
}

}  // namespace vx::devices::xcom
