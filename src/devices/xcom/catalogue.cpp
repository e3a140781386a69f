#include "vxbridge/devices/xcom/catalogue.hpp"

#include <algorithm>
#include <limits>
#include <tuple>
#include <vector>

namespace vx::devices::xcom {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
const datapoint kCatalogue[] = {
#include "catalogue_data.inc"
};
}  // namespace

std::span<const datapoint> catalogue() {
    return kCatalogue;
}

// Every register of every Studer map is looked up at start-up (~4000 lookups in 1270 entries):
// a sorted index, built once (thread-safe: maps load in parallel).
const datapoint* find(family f, kind k, std::uint32_t nr) {
    const auto key_of = [](const datapoint* d) { return std::tuple(d->fam, d->k, d->nr); };
    static const auto index = [&] {
        std::vector<const datapoint*> v;
        for (const auto& d : kCatalogue) v.push_back(&d);
        std::ranges::stable_sort(v, {}, key_of);  // stable: the first of duplicates wins, as before
        return v;
    }();
    const auto key = std::tuple(f, k, nr);
    const auto it = std::ranges::lower_bound(index, key, {}, key_of);
    return it != index.end() && key_of(*it) == key ? *it : nullptr;
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

}  // namespace vx::devices::xcom
