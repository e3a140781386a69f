// The driver registry: what each driver contributes from its own folder - the keys of its
// `devices:` entry and a reader for them, and a factory - so that the config loader and the
// composition root know drivers only through this table. Adding a driver = a folder under
// devices/ + one registration in app/drivers.cpp + CMake. Each driver's device validates the
// sources of the maps bound to it (device::check_point).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "vxbridge/devices/device.hpp"

namespace vx::register_map {
class yaml_fields;
}

namespace vx::devices {

// The options one driver read from its `devices:` entry; compared on reload (same options =
// same device, which keeps its link).
class driver_options {
  public:
    virtual ~driver_options() = default;
    virtual bool equals(const driver_options& other) const = 0;
};

template <class T>
class options_of final : public driver_options {
  public:
    explicit options_of(T v) : value(std::move(v)) {}
    bool equals(const driver_options& other) const override {
        const auto* o = dynamic_cast<const options_of<T>*>(&other);
        return o && o->value == value;
    }
    T value;
};

// The typed options of a device, or null when it uses another driver.
template <class T>
const T* options_as(const std::shared_ptr<const driver_options>& o) {
    const auto* h = dynamic_cast<const options_of<T>*>(o.get());
    return h ? &h->value : nullptr;
}
template <class T>
T* options_as(const std::shared_ptr<driver_options>& o) {
    auto* h = dynamic_cast<options_of<T>*>(o.get());
    return h ? &h->value : nullptr;
}

struct driver_info {
    std::string name;
    std::vector<std::string_view> keys;  // keys of a `devices:` entry besides `driver`
    // Reads the entry (problems go to the fields' diagnostics); never null.
    std::function<std::shared_ptr<driver_options>(register_map::yaml_fields& entry)> read_options;
    std::function<std::shared_ptr<device>(std::string name, boost::asio::any_io_executor exec,
                                          const driver_options& options)>
        make;
};

class driver_registry {
  public:
    void add(driver_info d) { drivers_.push_back(std::move(d)); }
    const driver_info* find(std::string_view name) const {
        for (const auto& d : drivers_)
            if (d.name == name) return &d;
        return nullptr;
    }
    std::vector<std::string> names() const {
        std::vector<std::string> n;
        for (const auto& d : drivers_) n.push_back(d.name);
        return n;
    }

  private:
    std::vector<driver_info> drivers_;
};

// For a driver's factory: its own options, as its reader made them.
template <class T>
const T& options_cast(const driver_options& o) {
    return dynamic_cast<const options_of<T>&>(o).value;
}

// The options half of a registry entry: the driver's name, its keys and a reader that makes
// Options of its `devices:` entry (no factory: what the config loader and its fuzzer need).
template <class Options>
driver_info options_entry(std::string name, std::vector<std::string_view> keys,
                          Options (*read)(register_map::yaml_fields&)) {
    driver_info d;
    d.name = std::move(name);
    d.keys = std::move(keys);
    d.read_options = [read](register_map::yaml_fields& f) {
        return std::shared_ptr<driver_options>(std::make_shared<options_of<Options>>(read(f)));
    };
    return d;
}

// The whole entry: `options` plus a factory that builds Device(name, executor, Options).
template <class Device, class Options>
driver_info with_factory(driver_info options) {
    options.make = [](std::string n, boost::asio::any_io_executor exec, const driver_options& o) {
        return std::shared_ptr<device>(
            std::make_shared<Device>(std::move(n), std::move(exec), options_cast<Options>(o)));
    };
    return options;
}

}  // namespace vx::devices
