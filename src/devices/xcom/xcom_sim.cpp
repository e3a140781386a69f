#include "vxbridge/devices/xcom/xcom_sim.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <string_view>

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

xcom_sim::xcom_sim(xcom_sim_options o) : o_(std::move(o)), plant_(o_.plant) {}

// A parameter's RAM value as the plant sees it: what was written, else the catalogue default.
double xcom_sim::param_ram(std::uint32_t address, std::uint32_t nr) const {
    if (const auto* p = param(address, nr)) return p->ram;
    const auto* d = find_for_address(address, kind::parameter, nr);
    return d ? d->def : std::nan("");
}

void xcom_sim::advance(clock::time_point now) {
    plant_.advance(now, [this](std::uint32_t a, std::uint32_t nr) { return param_ram(a, nr); });
    for (const auto& m : plant_.take_messages()) {
        messages_.push_back({m.nr, m.source, static_cast<std::uint32_t>(std::time(nullptr))});
        message_pending_ = true;
    }
}

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

// The plant's value, or a documented constant for what it does not model: identification
// (IDs, firmware, counts of parameters), event counters, relays and modes at rest (docs/xcom.md,
// "The simulated plant"). Never a formula of the info's number.
double xcom_sim::info_value(const datapoint& d, std::uint32_t address,
                            clock::time_point now) const {
    (void)now;
    if (const auto v = plant_.info(address, d.nr)) return *v;
    const std::string_view name = d.name;
    if (name.starts_with("ID SID")) return 1000 + address;  // serial-like id
    if (name.starts_with("ID SOFT msb")) return 1;          // firmware 1.6.x
    if (name.starts_with("ID SOFT lsb")) return 6;
    if (name.starts_with("ID HW")) return 3;
    if (name.starts_with("ID type")) return d.fam == family::bsp ? 10 : 1;
    if (name.starts_with("ID FID")) return 0;
    if (name.find("Number of parameters (in code)") != std::string_view::npos ||
        name.find("Parameter number (in code)") != std::string_view::npos)
        return 400;
    if (name.find("Number of parameters (in flash)") != std::string_view::npos) return 12;
    if (name.find("nfo user") != std::string_view::npos ||
        name.find("infos users") != std::string_view::npos)
        return 120;
    if (name.find("days before next equalization") != std::string_view::npos) return 26;
    // Enums at rest: relays opened, no error, remote entry 0 - the option 0 unless it is
    // "Invalid value", then 1.
    if (d.format == data_format::short_enum)
        return std::string_view(d.options).starts_with("0=Invalid") ? 1 : 0;
    return 0;  // event counters, debug words, lockings, injection currents: none
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

// Message service (SPEC 4.6): index 0 = the newest and clears the "new message" flag; index n =
// the n-th older one. 18 bytes: total number u32, type u16, source u32, timestamp u32, value.
frame xcom_sim::handle_message(const frame& q) {
    if (q.service_id != service::read) return error_response(q, scom_error::property_is_read_only);
    std::vector<std::uint8_t> d(18, 0);
    auto put = [&](std::size_t at, std::uint32_t v, int bytes) {
        for (int k = 0; k < bytes; ++k) d[at + k] = static_cast<std::uint8_t>(v >> (8 * k));
    };
    put(0, static_cast<std::uint32_t>(messages_.size()), 4);
    if (q.object_id == 0) message_pending_ = false;
    if (q.object_id < messages_.size()) {
        const auto& m = messages_[messages_.size() - 1 - q.object_id];
        put(4, m.nr, 2);
        put(6, m.source, 4);
        put(10, m.timestamp, 4);
    }
    return response_to(q, std::move(d));
}

std::optional<frame> xcom_sim::handle(const frame& q, clock::time_point now) {
    if (q.is_response()) return std::nullopt;
    ++requests_;
    advance(now);
    std::optional<frame> r;
    if (busy_) {
        r = error_response(q, scom_error::gateway_busy);
    } else if (q.service_id != service::read && q.service_id != service::write) {
        r = error_response(q, scom_error::service_not_supported);
    } else if (q.dst == kXcomAddress && q.object_type == object_type::multi_info) {
        r = handle_multi_info(q, now);
    } else if (q.dst == kXcomAddress && q.object_type == object_type::message) {
        r = handle_message(q);
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
    r->frame_flags = 0x20 | (message_pending_ ? 0x01 : 0x00);  // datalog; a new message
    return r;
}

}  // namespace vx::devices::xcom
