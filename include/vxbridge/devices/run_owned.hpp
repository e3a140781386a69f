// Runs a driver's main coroutine while keeping the driver alive (for co_spawn in start()).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

namespace vx::devices {

// The owner is a parameter, not a lambda capture: parameters live in the coroutine frame,
// captures only in the (temporary) lambda object.
template <class Driver>
boost::asio::awaitable<void> run_owned(std::shared_ptr<Driver> self,
                                       boost::asio::awaitable<void> (Driver::*run)()) {
    co_await ((*self).*run)();
}

}  // namespace vx::devices
