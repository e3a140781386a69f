// The asynchronous write interface between the Modbus side and the devices (DESIGN.md section 4:
// modbus never includes devices; app connects the two through this interface).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "vxbridge/core/point.hpp"
#include "vxbridge/core/value.hpp"

namespace vx::core {

// What became of a request or a write, from the device's answer to the Modbus exception: one
// vocabulary on the whole way back (modbus::exception_for is the one mapping to exceptions).
enum class outcome {
    ok,
    // A device's answers (drivers).
    refused,  // the device answered with a refusal              -> Modbus 0x04
    busy,     // the device (or its gateway) is busy             -> 0x06
    timeout,  // no answer in time                               -> 0x0B
    invalid,  // the value is out of range (device or map)       -> 0x03
    offline,  // the link is down; nothing was sent              -> 0x0A
    // A bridge-held setting refused the value (outside its range): a GX answers a failed
    // D-Bus SetValue with 0x0A, and clients of the GX maps expect that (vebus-mk3-and-gx.md 3.1).
    setting_refused,  //                                         -> 0x0A
    // The request's own problems (the Modbus side).
    unknown_function,  // -> 0x01
    read_only_mode,    // -> 0x01: the gateway is configured read-only
    unmapped,          // -> 0x02: address not in the map, gap, or a range splitting a value
    not_writable,      // -> 0x02: write to an `r` register (as a GX does)
    unknown_unit,      // -> 0x0B
    value_missing,     // -> 0x0B: a map with `unavailable: exception` has no fresh value
};

struct write_result {
    outcome status = outcome::ok;
    std::string detail;  // for logs
};

// A result, as drivers report it.
inline write_result make_result(outcome s, std::string detail = {}) {
    return {s, std::move(detail)};
}

// Called exactly once per write, from any thread. On ok the driver has already published the
// applied value to the point's listeners, so a read after the reply shows it.
using write_done = std::function<void(write_result)>;

// Something that accepts point writes: a device driver.
class point_writer {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    virtual ~point_writer() = default;
    // `deadline`: when the client stops waiting (it is then told 0x0B). A write still queued
    // at its deadline is answered `timeout` and never sent, so no write takes effect after its
    // client was told it failed; time_point::max() = no deadline.
    virtual void write(const point_spec& point, const value& v, write_done done,
                       time_point deadline) = 0;
    // False while the device cannot be reached; reads of its units then answer 0x0A.
    virtual bool online() const = 0;
};

}  // namespace vx::core
