// One Modbus client link - a serial port (RTU) or a TCP endpoint - shared by every device on
// it: requests run one at a time, in the order they came, on the bus's own thread. libmodbus's
// client calls block for up to the response timeout (BUILD-NOTES.md section 3: "run serial/RTU
// polling on dedicated threads, one per bus"), so they never run on the io_context; replies
// are handed back through the callback, which the device posts to its executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vxbridge/transport/options.hpp"

namespace vx::devices::modbus_client {

struct bus_request {
    int unit = 1;
    bool input = false;  // FC4, else FC3
    std::uint16_t start = 0;
    std::uint16_t count = 0;
    std::chrono::milliseconds timeout{300};
};

struct bus_reply {
    enum class status {
        ok,
        timeout,    // no (complete) answer in time
        checksum,   // a frame with a bad CRC (RTU)
        garbage,    // an answer that is not one (wrong unit, function, length, transaction)
        exception,  // the device answered with a Modbus exception (`exception` holds it)
        link_down,  // the port could not be opened / the connection failed or broke
        cancelled,  // the bus stopped
    } result = status::ok;
    int exception = 0;
    std::string detail;  // for the log: what failed
    std::vector<std::uint16_t> words;
    bool reconnected = false;  // the link was (re)opened for this request
};

class client_bus {
  public:
    using done_fn = std::function<void(bus_reply)>;

    // The bus for `link` (serial_options or tcp_client_options): devices naming the same port
    // or endpoint share one. `conflict` says why not when the same port is already open with
    // other serial settings (the bus keeps the first).
    static std::shared_ptr<client_bus> get(const transport::link_options& link,
                                           std::string& conflict);
    ~client_bus();
    client_bus(const client_bus&) = delete;
    client_bus& operator=(const client_bus&) = delete;

    // Queues a request; `done` runs on the bus thread (or at once with `cancelled` when the
    // bus stopped).
    void submit(const bus_request& r, done_fn done);

    const std::string& name() const;
    std::size_t queued() const;

    struct state;  // shared with the thread, which may outlive this object by a moment

  private:
    explicit client_bus(std::shared_ptr<state> s);
    std::shared_ptr<state> state_;
};

}  // namespace vx::devices::modbus_client
