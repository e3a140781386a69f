// The asynchronous write interface between the Modbus side and the devices (DESIGN.md section 4:
// modbus never includes devices; app connects the two through this interface).
#pragma once

#include <functional>
#include <string>

#include "vxbridge/core/point.hpp"
#include "vxbridge/core/value.hpp"

namespace vx::core {

enum class write_status {
    ok,       // the device applied the value
    refused,  // the device answered with a refusal      -> Modbus 0x04
    busy,     // the device (or its gateway) is busy     -> Modbus 0x06
    timeout,  // no answer in time                       -> Modbus 0x0B
    invalid,  // the device says the value is out of range -> Modbus 0x03
    offline,  // the link is down; nothing was sent      -> Modbus 0x0A
};

struct write_result {
    write_status status = write_status::ok;
    std::string detail;  // for logs
    value applied;       // the value the device reports after the write, if it says
};

// A result without an applied value, as drivers report most outcomes.
inline write_result make_result(write_status s, std::string detail = {}) {
    return {s, std::move(detail), {}};
}

// Called exactly once per write, from any thread. On ok the driver has already published the
// applied value to the point's listeners, so a read after the reply shows it.
using write_done = std::function<void(write_result)>;

// Something that accepts point writes: a device driver.
class point_writer {
  public:
    virtual ~point_writer() = default;
    virtual void write(const point_spec& point, const value& v, write_done done) = 0;
    // False while the device cannot be reached; reads of its units then answer 0x0A.
    virtual bool online() const = 0;
};

}  // namespace vx::core
