#include "vxbridge/devices/xcom/catalogue.hpp"

#include <algorithm>
#include <limits>

namespace vx::xcom {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
const datapoint kCatalogue[] = {
#include "catalogue_data.inc"
};
}  // namespace

std::span<const datapoint> catalogue() {
    return kCatalogue;
}

const datapoint* find(family f, kind k, std::uint32_t nr) {
    for (const auto& d : kCatalogue)
        if (d.fam == f && d.k == k && d.nr == nr) return &d;
    return nullptr;
}

std::vector<family> families_of(std::uint32_t a) {
    if (a == 100 || (a >= 101 && a <= 109) || (a >= 191 && a <= 193)) return {family::xt};
    if (a == 300 || (a >= 301 && a <= 315)) return {family::vt};
    if (a == 700 || (a >= 701 && a <= 715)) return {family::vs};
    if (a == 600 || a == 601) return {family::bsp, family::bms};
    if (a == 501) return {family::rcc};
    return {};
}

const datapoint* find_for_address(std::uint32_t address, kind k, std::uint32_t nr) {
    for (auto f : families_of(address))
        if (const auto* d = find(f, k, nr)) return d;
    return nullptr;
}

std::string_view name_of(family f) {
    switch (f) {
        case family::xt:
            return "Xtender";
        case family::rcc:
            return "RCC/Xcom";
        case family::bsp:
            return "BSP";
        case family::bms:
            return "Xcom-CAN BMS";
        case family::vt:
            return "VarioTrack";
        case family::vs:
            return "VarioString";
    }
    return "?";
}

}  // namespace vx::xcom
