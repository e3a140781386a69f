#include "vxbridge/devices/vebus/sim_server.hpp"

#include "vxbridge/transport/link.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/write.hpp>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace vx::devices::vebus {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {
constexpr auto kByteTime = std::chrono::microseconds(4167);  // 10 bits at 2400 baud
}

sim_server::sim_server(asio::any_io_executor exec, sim_server_options options)
    : exec_(exec),
      options_(std::move(options)),
      multi_(options_.multi),
      idle_(exec),
      tick_(exec),
      reopen_(exec) {}

sim_server::~sim_server() {
    close_pty();
}

void sim_server::open_pty() {
    const int master = transport::open_pty_link(options_.link, slave_fd_);
    master_ = std::make_unique<asio::posix::stream_descriptor>(exec_, master);

    parser_.discard_partial();
    do_read();
}

void sim_server::close_pty() {
    if (master_) {
        boost::system::error_code ignored;
        master_->close(ignored);
        master_.reset();
    }
    if (slave_fd_ >= 0) ::close(slave_fd_);
    slave_fd_ = -1;
    std::error_code ec;
    std::filesystem::remove(options_.link, ec);
}

void sim_server::start() {
    started_ = clock::now();
    open_pty();
    arm_idle();
    arm_tick();
}

// The plant moves on even when nobody asks.
void sim_server::arm_tick() {
    tick_.expires_after(100ms);
    tick_.async_wait([this, w = weak_from_this()](boost::system::error_code ec) {
        if (ec || w.expired() || stopped_) return;
        if (options_.day_profile) {
            const double hours = std::chrono::duration<double>(clock::now() - started_).count() *
                                 options_.speed / 3600.0;
            const auto p = day_profile(options_.start_hour + hours);
            multi_.set_load(p.load_w);
            multi_.set_pv(p.pv_w);
        }
        multi_.tick(clock::now());
        arm_tick();
    });
}

void sim_server::stop() {
    stopped_ = true;
    idle_.cancel();
    tick_.cancel();
    reopen_.cancel();
    close_pty();
}

void sim_server::vanish(std::chrono::milliseconds gone) {
    close_pty();
    reopen_.expires_after(gone);
    reopen_.async_wait([this, w = weak_from_this()](boost::system::error_code ec) {
        if (ec || w.expired() || stopped_) return;
        open_pty();
    });
}

void sim_server::do_read() {
    if (!master_) return;
    master_->async_read_some(asio::buffer(rx_), [this, w = weak_from_this()](
                                                    boost::system::error_code ec, std::size_t n) {
        if (w.expired() || stopped_ || !master_) return;
        if (ec) {
            if (ec == asio::error::operation_aborted) return;
            // EIO: no client has the pty open; try again a little later.
            auto t = std::make_shared<asio::steady_timer>(exec_, 50ms);
            t->async_wait([this, w, t](boost::system::error_code e) {
                if (!e && !w.expired() && !stopped_) do_read();
            });
            return;
        }
        parser_.feed(std::span(rx_.data(), n));
        while (auto f = parser_.next()) reply(*f, encode(*f).size());
        do_read();
    });
}

// Replies leave after the request's wire time, the latency and their own wire time, one
// exchange after the other, as on a 2400-baud line.
void sim_server::reply(const frame& request, std::size_t request_bytes) {
    const auto now = clock::now();
    // velib: an 'A' or 'S' while an 'F' reply is outstanding makes the MK3 filter that reply
    // out (multi-unit notes section 2); counted, and the reply dropped in strict mode.
    const bool is_mk2 = request.type == frame_type::mk2;
    if (is_mk2 && request.command == 'A') ++a_frames_;
    if (is_mk2 && (request.command == 'A' || request.command == 'S') && f_pending_ && *f_pending_ &&
        now < f_reply_at_) {
        ++a_during_f_;
        if (options_.strict_f) *f_pending_ = false;
    }
    auto replies = multi_.handle(request, now);
    if (faults_.silent) return;
    rx_bytes_ += request_bytes;
    if (!replies.empty()) ++answered_;
    auto at = std::max(now, busy_until_);
    if (options_.byte_timing) at += request_bytes * kByteTime;
    std::shared_ptr<bool> live;
    if (is_mk2 && request.command == 'F' && !replies.empty()) live = std::make_shared<bool>(true);
    for (const auto& r : replies) {
        auto bytes = encode(r);
        tx_bytes_ += bytes.size();
        faults_.damage(bytes, rng_);
        at += options_.latency;
        if (options_.byte_timing) at += bytes.size() * kByteTime;
        send_later(std::move(bytes), at + faults_.delay,
                   live);  // late on its own, see xcom_sim_server
    }
    if (live) {
        f_pending_ = live;
        f_reply_at_ = at + faults_.delay;
    }
    busy_until_ = at;
}

void sim_server::send_later(std::vector<std::uint8_t> bytes, clock::time_point at,
                            std::shared_ptr<bool> live) {
    auto t = std::make_shared<asio::steady_timer>(exec_, at);
    auto data = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
    t->async_wait([this, w = weak_from_this(), t, data, live](boost::system::error_code ec) {
        if (ec || w.expired() || stopped_ || !master_) return;
        if (live && !*live) return;  // filtered out by the MK3 (strict mode)
        last_tx_ = clock::now();
        boost::system::error_code wec;
        asio::write(*master_, asio::buffer(*data), wec);  // a pty takes a few bytes at once
    });
}

// The MK3 sends a version frame about every second when there is no other traffic (section 1.1).
void sim_server::arm_idle() {
    idle_.expires_after(1s);
    idle_.async_wait([this, w = weak_from_this()](boost::system::error_code ec) {
        if (ec || w.expired() || stopped_) return;
        if (master_ && !faults_.silent && clock::now() - std::max(last_tx_, busy_until_) >= 1s)
            send_later(encode(multi_.version_frame()), clock::now());
        arm_idle();
    });
}

std::string sim_server::control(const std::string& line) {
    std::istringstream in(line);
    std::string cmd, arg;
    in >> cmd >> arg;
    auto num = [&] { return arg.empty() ? 0.0 : std::stod(arg); };
    try {
        if (faults_.control(cmd, arg)) {
            // silent, drop, corrupt, delay: the same in both simulators
        } else if (cmd == "latency")
            options_.latency = std::chrono::milliseconds(static_cast<long>(num()));
        else if (cmd == "vanish")
            vanish(std::chrono::milliseconds(static_cast<long>(num())));
        else if (cmd == "busy")
            multi_.set_busy(arg == "on");
        else if (cmd == "load") {
            std::string phase;
            in >> phase;
            if (phase.empty())
                multi_.set_load(num());
            else if (phase == "L1" || phase == "L2" || phase == "L3")
                multi_.set_phase_load(phase[1] - '1', num());
            else
                return "error: load W [L1|L2|L3]";
        } else if (cmd == "unit") {
            std::string how;
            in >> how;
            if ((how != "on" && how != "off") ||
                !multi_.set_unit_present(static_cast<std::uint8_t>(std::stoi(arg)), how == "on"))
                return "error: unit ADDRESS on|off (a configured address)";
        } else if (cmd == "pv")
            multi_.set_pv(num());
        else if (cmd == "grid_load")
            multi_.set_grid_load(num());
        else if (cmd == "soc")
            multi_.set_soc(num());
        else if (cmd != "status")
            return "error: unknown command '" + cmd + "'";
    } catch (const std::exception&) {
        return "error: bad argument '" + arg + "'";
    }
    std::ostringstream out;
    out << "ok setpoint_ram=" << multi_.ess_setpoint_ram() << " soc=" << multi_.soc()
        << " battery_w=" << multi_.battery_power() << " import_w=" << multi_.input_power_import()
        << " state=" << int(multi_.device_state()) << " switch=" << int(multi_.switch_state())
        << " limit=" << multi_.input_limit() << " load_w=" << multi_.site().load_w
        << " pv_w=" << multi_.site().pv_w << " grid_load_w=" << multi_.site().grid_load_w
        << " ac_out_w=" << multi_.ac_out_power() << " grid_w=" << multi_.grid_power()
        << " writes=" << multi_.setpoint_writes() << " topology=" << multi_.topology()
        << " vebus_error=" << int(multi_.vebus_error()) << " a_frames=" << a_frames_
        << " a_during_f=" << a_during_f_ << " rx_bytes=" << rx_bytes_ << " tx_bytes=" << tx_bytes_
        << " answered=" << answered_;
    for (int p = multi_.site().phases > 1 ? 0 : 1; p < multi_.site().phases; ++p)
        out << " import_l" << p + 1 << "_w=" << multi_.phase_import(p) << " setpoint_ram_l" << p + 1
            << "=" << multi_.phase_setpoint_ram(p) << " load_l" << p + 1
            << "_w=" << multi_.phase_load(p) << " ess_writes_l" << p + 1 << "="
            << multi_.phase_writes(p);
    out << " units_off=";
    bool first = true;
    for (const auto& u : multi_.units())
        if (!u.present) {
            out << (first ? "" : ",") << int(u.addr);
            first = false;
        }
    out << " history=";
    const auto& h = multi_.setpoint_history();
    for (std::size_t i = 0; i < h.size(); ++i) out << (i ? "," : "") << h[i];

    return out.str();
}

}  // namespace vx::devices::vebus
