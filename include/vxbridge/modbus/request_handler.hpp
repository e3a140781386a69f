// Transport-free request handling (STYLE.md #7): unit routing, reads from the register image,
// validated writes through the asynchronous command interface, and the one mapping from internal
// failures to Modbus exceptions. Shared by the TCP sessions and the RTU server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vxbridge/modbus/pdu.hpp"
#include "vxbridge/modbus/unit_router.hpp"
#include "vxbridge/modbus/write_journal.hpp"

namespace vx::modbus {

// The one mapping from an outcome (a device's answer or the request's own problem) to a Modbus
// exception (DESIGN.md section 3).
exception_code exception_for(core::outcome o);

struct identity {
    std::string vendor = "vxbridge";
    std::string product = "vxbridge Modbus gateway";
    std::string version = VXBRIDGE_VERSION;
    std::string url = "https://github.com/vxbridge/vxbridge";
};

struct handler_options {
    bool read_only = false;
    identity id;
    std::shared_ptr<write_journal> journal;  // null: writes are not recorded
};

// A write the device must confirm. start() sends the commands in address order; `done` is called
// exactly once, from whichever thread the device answers on, with the response PDU.
class pending_write {
  public:
    using completion = std::function<void(std::vector<std::uint8_t> pdu)>;
    virtual ~pending_write() = default;
    // `deadline`: when the caller stops waiting (it answers 0x0B then).
    virtual void start(completion done, std::chrono::steady_clock::time_point deadline) = 0;
    // The caller gave up (deadline passed): commands not yet sent are not sent.
    virtual void abandon() = 0;
};

class request_handler {
  public:
    request_handler(std::shared_ptr<const unit_router> router, handler_options options);

    // Serves one request PDU for `unit_id`. Returns null when `out` holds the whole response;
    // otherwise a pending write for the caller to start. `out` is appended to, never cleared.
    // `client` names the requester in the write journal.
    std::unique_ptr<pending_write> handle(std::uint8_t unit_id, std::span<const std::uint8_t> pdu,
                                          std::vector<std::uint8_t>& out,
                                          std::string_view client = {}) const;

    const unit_router& router() const { return *router_; }

  private:
    std::unique_ptr<pending_write> serve(std::uint8_t unit_id, std::span<const std::uint8_t> pdu,
                                         const request& r, decode_status st,
                                         std::vector<std::uint8_t>& out) const;
    void read(const unit& u, const request& r, std::vector<std::uint8_t>& out) const;
    void device_identification(const unit& u, const request& r,
                               std::vector<std::uint8_t>& out) const;
    std::unique_ptr<pending_write> write(const unit& u, request r,
                                         std::vector<std::uint8_t>& out) const;

    std::shared_ptr<const unit_router> router_;
    handler_options options_;
};

}  // namespace vx::modbus
