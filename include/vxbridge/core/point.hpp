// What a register map asks of a device: a point reference and how the register uses it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "vxbridge/core/value.hpp"

namespace vx::core {

// A map's `source:` as written, e.g. {ram: ubat} -> kind "ram", key "ubat";
// {param: 1107, property: min} -> kind "param", key "1107", options {{"property","min"}}.
struct point_ref {
    std::string kind;
    std::string key;
    std::vector<std::pair<std::string, std::string>> options;

    // Canonical text "kind:key[,opt=val...]": the identity drivers share points by.
    std::string id() const;
    const std::string* option(const std::string& name) const;
    bool operator==(const point_ref&) const = default;
};

enum class poll_class { fast, normal, slow, once };

// One register's use of a point, as the composition root hands it to a driver.
struct point_spec {
    point_ref ref;
    std::string binding;     // "<unit id>/<register name>": unique per register of a site
    int device_address = 0;  // address of the target behind a shared link (Xcom 101...), 0 = none
    poll_class poll = poll_class::normal;
    bool writable = false;
    bool persist = false;  // writes may go to flash/EEPROM
    // When a Modbus client last read this register (time_point::min() = never); lets a driver
    // poll what nobody reads at a slower rate (DESIGN.md section 3). May be empty.
    std::function<std::chrono::steady_clock::time_point()> last_read;
};

}  // namespace vx::core
