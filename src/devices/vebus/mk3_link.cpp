#include "vxbridge/devices/vebus/mk3_link.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace vx::vebus {

namespace asio = boost::asio;

mk3_link::mk3_link(asio::any_io_executor exec, std::string port)
    : port_(exec), path_(std::move(port)), wait_(exec) {}

mk3_link::~mk3_link() {
    *alive_ = false;
    close();
}

bool mk3_link::open(std::string& why) {
    boost::system::error_code ec;
    port_.open(path_, ec);
    if (!ec) port_.set_option(asio::serial_port::baud_rate(2400), ec);
    if (!ec) port_.set_option(asio::serial_port::character_size(8), ec);
    if (!ec) port_.set_option(asio::serial_port::parity(asio::serial_port::parity::none), ec);
    if (!ec) port_.set_option(asio::serial_port::stop_bits(asio::serial_port::stop_bits::one), ec);
    if (!ec)
        port_.set_option(asio::serial_port::flow_control(asio::serial_port::flow_control::none),
                         ec);
    if (ec) {
        why = ec.message();
        boost::system::error_code ignored;
        port_.close(ignored);
        return false;
    }
    failed_ = false;
    parser_.discard_partial();
    last_heard_ = clock::now();
    do_read();
    return true;
}

void mk3_link::close() {
    boost::system::error_code ignored;
    port_.close(ignored);
    wait_.cancel();
}

// Bytes -> frames. A gap of more than 300 ms inside a frame discards the partial frame
// (velib: 6 ticks of 50 ms, section 1.2).
void mk3_link::do_read() {
    port_.async_read_some(
        asio::buffer(rx_), [this, alive = alive_](boost::system::error_code ec, std::size_t n) {
            if (!*alive) return;
            if (ec) {
                if (ec != asio::error::operation_aborted) failed_ = true;
                wait_.cancel();
                return;
            }
            const auto now = clock::now();
            if (parser_.has_partial() && now - last_byte_ > std::chrono::milliseconds(300))
                parser_.discard_partial();
            last_byte_ = now;
            stats_.bytes_rx += n;
            const auto bad_before = parser_.checksum_errors();
            parser_.feed(std::span(rx_.data(), n));
            while (auto f = parser_.next()) {
                last_heard_ = now;
                if (waiting_for_ && !reply_ && is_reply_to(*waiting_for_, *f)) {
                    reply_ = std::move(*f);
                    wait_.cancel();
                } else if (on_unsolicited) {
                    on_unsolicited(*f);
                }
            }
            stats_.checksum_errors += parser_.checksum_errors() - bad_before;
            do_read();
        });
}

asio::awaitable<std::optional<frame>> mk3_link::exchange(frame request,
                                                         std::chrono::milliseconds timeout) {
    if (!port_.is_open() || failed_) co_return std::nullopt;
    ++stats_.requests;
    const auto bytes = encode(request);
    reply_.reset();
    waiting_for_ = &request;
    boost::system::error_code ec;
    co_await asio::async_write(port_, asio::buffer(bytes),
                               asio::redirect_error(asio::use_awaitable, ec));
    stats_.bytes_tx += bytes.size();
    if (ec) {
        failed_ = true;
        waiting_for_ = nullptr;
        co_return std::nullopt;
    }
    if (!expects_reply(request)) {
        waiting_for_ = nullptr;
        co_return frame{};
    }
    if (!reply_) {
        wait_.expires_after(timeout);
        co_await wait_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    waiting_for_ = nullptr;
    if (!reply_) {
        if (!failed_) ++stats_.timeouts;
        co_return std::nullopt;
    }
    co_return std::move(reply_);
}

}  // namespace vx::vebus
