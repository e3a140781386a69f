// Studer's info and parameter catalogue (appendix 1.6.42), generated into the binary by
// scripts/gen_xcom_catalogue.py; device families by SCOM address (protocol notes section 1.8).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "vxbridge/devices/xcom/scom_frame.hpp"

namespace vx::devices::xcom {

enum class family : std::uint8_t { xt, rcc, bsp, bms, vt, vs };
enum class kind : std::uint8_t { info, parameter };

struct datapoint {
    family fam;
    kind k;
    std::uint32_t nr;
    data_format format;
    std::uint8_t level;    // 0x00 view only/info, 0x10 basic, 0x20 expert, 0x30 installer, 0x40 QSP
    double min, max, def;  // NaN where the catalogue has none (signals, infos)
    bool signal;           // write 1 to trigger
    const char* name;
    const char* unit;
    const char* options;  // "0=Off;1=On" or ""
};

std::span<const datapoint> catalogue();
const datapoint* find(family f, kind k, std::uint32_t nr);
// The families a SCOM address belongs to (601 is a BSP or an Xcom-CAN BMS); empty if none.
std::vector<family> families_of(std::uint32_t address);
// The datapoint `nr` as the device at `address` has it, or nullptr.
const datapoint* find_for_address(std::uint32_t address, kind k, std::uint32_t nr);
std::string_view name_of(family f);

}  // namespace vx::devices::xcom
