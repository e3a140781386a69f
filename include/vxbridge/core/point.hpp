// What a register map asks of a device: a point reference and how the register uses it.
#pragma once

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
};

}  // namespace vx::core
