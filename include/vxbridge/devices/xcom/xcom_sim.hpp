// The simulated Xcom-232i and its devices (pure: request frame in, response frame out). Devices
// are built from the catalogue: parameters with a flash and a RAM value and a flash-write
// counter (catalogue defaults, min, max), infos from a coherent plant (studer_plant) or a
// documented constant; the Xcom's message service with the plant's events (frame_flags bit 0
// while a message is unread); errors as the real gateway gives them (section 1.7).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "vxbridge/devices/xcom/catalogue.hpp"
#include "vxbridge/devices/xcom/scom_frame.hpp"
#include "vxbridge/devices/xcom/studer_plant.hpp"

namespace vx::devices::xcom {

struct xcom_sim_options {
    std::vector<std::uint32_t> devices = {101, 301, 701, 601};
    bool multicast_reads = true;  // false: reads at 100/300/600/700 answer 0x002D
    bool multi_info = true;       // false: SERVICE_NOT_SUPPORTED (Xcom firmware < 1.6.74)
    studer_plant_options plant;
};

class xcom_sim {
  public:
    using clock = std::chrono::steady_clock;
    explicit xcom_sim(xcom_sim_options o = {});

    // The response to `request`; nullopt when the gateway would not answer (a response frame).
    std::optional<frame> handle(const frame& request, clock::time_point now);
    void set_busy(bool busy) { busy_ = busy; }

    struct param_state {
        double flash = 0, ram = 0;
        std::uint32_t flash_writes = 0;
        std::vector<double> applied;  // every value written (RAM or flash), in order
    };
    const param_state* param(std::uint32_t address, std::uint32_t nr) const;
    double info_value(const datapoint& d, std::uint32_t address, clock::time_point now) const;
    std::uint64_t requests() const { return requests_; }
    // The plant behind the devices (control lines change it; advanced on every request).
    studer_plant& plant() { return plant_; }
    void advance(clock::time_point now);
    // The message service: every message so far (newest last) and whether one is unread.
    struct stored_message {
        std::uint16_t nr;
        std::uint32_t source;
        std::uint32_t timestamp;
    };
    const std::vector<stored_message>& messages() const { return messages_; }
    bool message_pending() const { return message_pending_; }

  private:
    frame handle_info(const frame& q, const datapoint& d, std::uint32_t address,
                      clock::time_point now);
    frame handle_param(const frame& q, const datapoint& d,
                       const std::vector<std::uint32_t>& targets);
    frame handle_multi_info(const frame& q, clock::time_point now);
    frame handle_message(const frame& q);
    double param_ram(std::uint32_t address, std::uint32_t nr) const;
    std::vector<std::uint32_t> targets(std::uint32_t dst) const;
    param_state& state(std::uint32_t address, const datapoint& d);

    xcom_sim_options o_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, param_state> params_;
    clock::time_point start_ = clock::now();
    bool busy_ = false;
    std::uint64_t requests_ = 0;
    studer_plant plant_;
    std::vector<stored_message> messages_;
    bool message_pending_ = false;
};

}  // namespace vx::devices::xcom
