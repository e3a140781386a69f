#include "vxbridge/modbus/rtu_server.hpp"

#include <modbus.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <vector>

namespace vx::modbus {

namespace {
modbus_t* raw(const std::unique_ptr<void, rtu_server::ctx_deleter>& p) {
    return static_cast<modbus_t*>(p.get());
}
}  // namespace

void rtu_server::ctx_deleter::operator()(void* ctx) const {
    auto* m = static_cast<modbus_t*>(ctx);
    modbus_close(m);
    modbus_free(m);
}

rtu_server::rtu_server(std::shared_ptr<const request_handler> handler, rtu_options options,
                       server_stats& stats)
    : handler_(std::move(handler)), options_(std::move(options)), stats_(stats) {}

rtu_server::~rtu_server() {
    stop();
}

void rtu_server::start() {
    modbus_t* ctx = modbus_new_rtu(options_.port.c_str(), options_.baud, options_.parity, 8,
                                   options_.stop_bits);
    if (!ctx) throw std::runtime_error("RTU " + options_.port + ": " + modbus_strerror(errno));
    ctx_.reset(ctx);
    modbus_set_slave(ctx, options_.unit_id);
    if (modbus_connect(ctx) != 0)
        throw std::runtime_error("cannot open RTU port " + options_.port + ": " +
                                 modbus_strerror(errno));
    // modbus_receive waits at most this long, so stop() is noticed.
    modbus_set_indication_timeout(ctx, 0, 200'000);
    spdlog::get("modbus")->info("Modbus RTU on {} ({} baud, parity {}, {} stop bit(s)), unit {}",
                                options_.port, options_.baud, options_.parity, options_.stop_bits,
                                options_.unit_id);
    thread_ = std::thread([this] { run(); });
}

void rtu_server::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ctx_.reset();
}

void rtu_server::set_handler(std::shared_ptr<const request_handler> handler) {
    std::lock_guard lock(handler_mutex_);
    handler_ = std::move(handler);
}

void rtu_server::run() {
    std::uint8_t adu[MODBUS_RTU_MAX_ADU_LENGTH];
    while (!stop_) {
        const int n = modbus_receive(raw(ctx_), adu);
        if (n > 0) {
            serve(adu, n);
        } else if (n < 0 && errno != ETIMEDOUT) {
            // CRC errors and line noise: libmodbus has already flushed the line.
            stats_.malformed.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

// adu = slave, PDU..., CRC (checked by libmodbus).
void rtu_server::serve(const std::uint8_t* adu, int length) {
    stats_.requests.fetch_add(1, std::memory_order_relaxed);
    const std::uint8_t slave = adu[0];
    const auto pdu = std::span(adu + 1, static_cast<std::size_t>(length - 3));
    std::vector<std::uint8_t> out{slave};
    // A broadcast (slave 0) is applied to our unit and never answered (Modbus over serial line
    // spec section 2.1).
    std::shared_ptr<const request_handler> handler;
    {
        std::lock_guard lock(handler_mutex_);
        handler = handler_;
    }
    auto job = handler->handle(slave == 0 ? options_.unit_id : slave, pdu, out);
    if (job) {
        auto result = std::make_shared<std::promise<std::vector<std::uint8_t>>>();
        auto future = result->get_future();
        job->start([result](std::vector<std::uint8_t> p) { result->set_value(std::move(p)); },
                   std::chrono::steady_clock::now() + options_.write_timeout);
        if (future.wait_for(options_.write_timeout) == std::future_status::ready) {
            auto p = future.get();
            out.insert(out.end(), p.begin(), p.end());
        } else {
            job->abandon();
            put_exception(out, pdu[0], exception_for(core::outcome::timeout));
        }
    }
    if (out.size() > 1 && (out[1] & 0x80))
        stats_.exceptions.fetch_add(1, std::memory_order_relaxed);
    if (slave == 0) return;
    // libmodbus adds the CRC; send_raw_request only builds the (slave, function) header.
    modbus_send_raw_request(raw(ctx_), out.data(), static_cast<int>(out.size()));
}

}  // namespace vx::modbus
