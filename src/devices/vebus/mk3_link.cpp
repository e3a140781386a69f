#include "vxbridge/devices/vebus/mk3_link.hpp"

namespace vx::devices::vebus {

namespace asio = boost::asio;

mk3_link::mk3_link(asio::any_io_executor exec, std::string port,
                   std::shared_ptr<transport::link> link)
    // The MK3 speaks 2400 8N1 (protocols/vebus-mk3-and-gx.md section 1.1).
    : link_(link ? std::move(link)
                 : transport::make_serial_link(exec, {std::move(port), 2400, 'N', 1, false})),
      session_(exec) {
    link_->on_data = [this, alive = alive_](std::span<const std::uint8_t> b) {
        if (*alive) on_data(b);
    };
    link_->on_state = [this, alive = alive_](bool up, const std::string& why) {
        if (!*alive) return;
        parser_.discard_partial();
        if (up) last_heard_ = clock::now();
        if (!up) session_.cancel();
        if (on_state) on_state(up, why);
    };
}

mk3_link::~mk3_link() {
    *alive_ = false;
    link_->stop();
}

void mk3_link::start() {
    link_->start();
}

void mk3_link::stop() {
    session_.cancel();
    link_->stop();
}

link_stats mk3_link::stats() const {
    const auto& c = link_->counters();
    return {session_.stats().requests,
            session_.stats().timeouts,
            parser_.checksum_errors(),
            c.reconnects,
            c.bytes_tx,
            c.bytes_rx};
}

// Bytes -> frames. A gap of more than 300 ms inside a frame discards the partial frame
// (velib: 6 ticks of 50 ms, section 1.2).
void mk3_link::on_data(std::span<const std::uint8_t> bytes) {
    const auto now = clock::now();
    if (parser_.has_partial() && now - last_byte_ > std::chrono::milliseconds(300))
        parser_.discard_partial();
    last_byte_ = now;
    parser_.feed(bytes);
    while (auto f = parser_.next()) {
        last_heard_ = now;
        if (!session_.offer(*f) && on_unsolicited) on_unsolicited(*f);
    }
}

asio::awaitable<std::optional<frame>> mk3_link::exchange(frame request,
                                                         std::chrono::milliseconds timeout) {
    const auto bytes = encode(request);
    devices::exchange_session<frame>::matcher match;
    if (expects_reply(request))
        match = [request](const frame& f) { return is_reply_to(request, f); };
    co_return co_await session_.exchange(*link_, bytes, std::move(match), timeout);
}

}  // namespace vx::devices::vebus
