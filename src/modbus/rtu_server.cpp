#include "vxbridge/modbus/rtu_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "vxbridge/modbus/rtu_frame.hpp"
#include "vxbridge/transport/link.hpp"

namespace vx::modbus {

namespace asio = boost::asio;

rtu_server::rtu_server(asio::any_io_executor exec, std::shared_ptr<const request_handler> handler,
                       rtu_options options, server_stats& stats)
    : exec_(exec),
      handler_(std::move(handler)),
      options_(std::move(options)),
      client_("rtu " + options_.port),
      stats_(stats),
      silence_(exec),
      write_deadline_(exec) {}

rtu_server::~rtu_server() {
    stop();
}

void rtu_server::start() {
    stopped_ = false;
    transport::serial_options s;
    s.port = options_.port;
    s.baud = options_.baud;
    s.parity = options_.parity;
    s.stop_bits = options_.stop_bits;
    link_ = transport::make_serial_link(exec_, s);
    auto w = weak_from_this();
    link_->on_data = [w](std::span<const std::uint8_t> bytes) {
        if (auto self = w.lock()) self->on_data(bytes);
    };
    link_->on_state = [w](bool up, const std::string& why) {
        auto self = w.lock();
        if (!self) return;
        auto log = spdlog::get("modbus");
        if (up)
            log->info("Modbus RTU on {} ({} baud, parity {}, {} stop bit(s)), units {}",
                      self->options_.port, self->options_.baud, self->options_.parity,
                      self->options_.stop_bits, [&] {
                          if (self->options_.units.empty()) return std::string("all");
                          std::string l;
                          for (auto u : self->options_.units)
                              l += (l.empty() ? "" : ", ") + std::to_string(u);
                          return l;
                      }());
        else
            log->warn("Modbus RTU port {}: {} (reopening)", self->options_.port, why);
        self->line_.clear();
    };
    link_->start();
}

void rtu_server::stop() {
    stopped_ = true;
    silence_.cancel();
    write_deadline_.cancel();
    if (pending_) pending_->abandon();
    pending_.reset();
    if (link_) link_->stop();
    link_.reset();
}

void rtu_server::set_handler(std::shared_ptr<const request_handler> handler) {
    handler_ = std::move(handler);
}

bool rtu_server::serves(std::uint8_t unit) const {
    if (!options_.units.empty() &&
        std::find(options_.units.begin(), options_.units.end(), unit) == options_.units.end())
        return false;
    return handler_->router().find(unit) != nullptr;
}

// Bytes of the line: a frame ends at the first silence of t3.5 after them.
void rtu_server::on_data(std::span<const std::uint8_t> bytes) {
    if (stopped_) return;
    line_.insert(line_.end(), bytes.begin(), bytes.end());
    if (line_.size() > 4096) {  // a babbling line: never a frame this long
        stats_.malformed.fetch_add(1, std::memory_order_relaxed);
        line_.clear();
    }
    silence_.expires_after(rtu::t35(options_.baud));
    silence_.async_wait([w = weak_from_this()](boost::system::error_code ec) {
        if (auto self = w.lock(); self && !ec) self->on_silence();
    });
}

void rtu_server::on_silence() {
    if (line_.empty()) return;
    frames_.push_back(std::move(line_));
    line_.clear();
    process();
}

// One request at a time: while a write waits for its device, later frames wait here.
void rtu_server::process() {
    while (!pending_ && !frames_.empty() && !stopped_) {
        const auto run = std::move(frames_.front());
        frames_.erase(frames_.begin());
        std::vector<rtu::rtu_piece> pieces;
        rtu::split(run, true, pieces);
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            const auto& p = pieces[i];
            if (p.what == rtu::rtu_piece::kind::noise) {
                stats_.malformed.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            if (p.what != rtu::rtu_piece::kind::request) continue;  // another slave's reply
            serve(std::span(run).subspan(p.offset, p.size));
            if (pending_) {
                // The rest of this run waits for the write (a master waits for our reply, so
                // there is rarely any).
                if (i + 1 < pieces.size())
                    frames_.insert(
                        frames_.begin(),
                        std::vector<std::uint8_t>(
                            run.begin() + static_cast<std::ptrdiff_t>(pieces[i + 1].offset),
                            run.end()));
                return;
            }
        }
    }
}

void rtu_server::serve(std::span<const std::uint8_t> frame) {
    const std::uint8_t unit = frame[0];
    const auto pdu = frame.subspan(1, frame.size() - 3);
    if (unit == 0) {
        // Broadcast: every unit this port serves executes the write; nobody answers (Modbus
        // over serial line 2.1). Reads make no sense as a broadcast and are dropped.
        if (pdu.empty() || !(pdu[0] == 5 || pdu[0] == 6 || pdu[0] == 15 || pdu[0] == 16)) return;
        stats_.requests.fetch_add(1, std::memory_order_relaxed);
        for (const auto* u : handler_->router().all()) {
            if (!serves(u->id)) continue;
            std::vector<std::uint8_t> ignored;
            if (auto job = handler_->handle(u->id, pdu, ignored, client_ + " broadcast"))
                job->start([](std::vector<std::uint8_t>) {},
                           std::chrono::steady_clock::now() + options_.write_timeout);
        }
        return;
    }
    if (!serves(unit)) return;  // another slave's request: silence
    stats_.requests.fetch_add(1, std::memory_order_relaxed);
    std::vector<std::uint8_t> out;
    auto job = handler_->handle(unit, pdu, out, client_);
    if (!job) return reply(unit, std::move(out));
    pending_ = std::move(job);
    const auto seq = ++seq_;
    const std::uint8_t function = pdu[0];
    const auto finish = [w = weak_from_this(), seq, unit, function](std::vector<std::uint8_t> p) {
        auto self = w.lock();
        if (!self || !self->pending_ || self->seq_ != seq) return;
        self->write_deadline_.cancel();
        if (p.empty())
            p = {static_cast<std::uint8_t>(function | 0x80),
                 static_cast<std::uint8_t>(exception_for(core::outcome::timeout))};
        self->pending_.reset();
        self->reply(unit, std::move(p));
        self->process();
    };
    write_deadline_.expires_after(options_.write_timeout);
    write_deadline_.async_wait([w = weak_from_this(), seq, finish](boost::system::error_code ec) {
        auto self = w.lock();
        if (ec || !self || !self->pending_ || self->seq_ != seq) return;
        self->pending_->abandon();
        finish({});
    });
    pending_->start(
        [exec = exec_, finish](std::vector<std::uint8_t> p) {
            asio::post(exec, [finish, p = std::move(p)]() mutable { finish(std::move(p)); });
        },
        write_deadline_.expiry());
}

void rtu_server::reply(std::uint8_t unit, std::vector<std::uint8_t> pdu) {
    if (!pdu.empty() && (pdu[0] & 0x80)) stats_.exceptions.fetch_add(1, std::memory_order_relaxed);
    std::vector<std::uint8_t> frame{unit};
    frame.insert(frame.end(), pdu.begin(), pdu.end());
    rtu::append_crc(frame);
    if (link_) link_->send(frame);
}

}  // namespace vx::modbus
