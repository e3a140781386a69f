#include "vxbridge/modbus/tcp_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "vxbridge/modbus/mbap.hpp"
#include "vxbridge/modbus/rtu_frame.hpp"

namespace vx::modbus {

namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {
constexpr std::size_t kMaxOutBuffered = 64 * 1024;  // stop reading while a client does not read
}  // namespace

tcp_session::tcp_session(asio::ip::tcp::socket socket, const tcp_options& options,
                         server_stats& stats, tcp_server& server)
    : socket_(std::move(socket)),
      options_(options),
      stats_(stats),
      server_(server),
      timer_(socket_.get_executor()),
      write_deadline_(socket_.get_executor()) {
    boost::system::error_code ec;
    const auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);  // responses must not wait for Nagle
    out_.reserve(1024);
    writing_.reserve(1024);
}

void tcp_session::start() {
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);  // for the direct send in do_write()
    last_activity_ = steady_clock::now();
    arm_timer(last_activity_ + options_.idle_timeout);
    do_read();
}

void tcp_session::stop() {
    close(nullptr);
}

bool tcp_session::want_read() const {
    return !closed_ && !reading_ && rx_len_ < rx_.size() && out_.size() < kMaxOutBuffered;
}

void tcp_session::do_read() {
    if (!want_read()) return;
    reading_ = true;
    socket_.async_read_some(asio::buffer(rx_.data() + rx_len_, rx_.size() - rx_len_),
                            [self = shared_from_this()](boost::system::error_code ec,
                                                        std::size_t n) { self->on_read(ec, n); });
}

void tcp_session::on_read(boost::system::error_code ec, std::size_t n) {
    reading_ = false;
    if (ec) return close(nullptr);
    rx_len_ += n;
    if (!process_frames()) return;
    do_write();
    do_read();
}

// Splits the receive buffer into ADUs. A bad protocol id or length closes the connection: the
// stream can no longer be trusted to be in step (DESIGN.md section 3).
bool tcp_session::process_frames() {
    if (options_.frames == tcp_options::framing::rtu) return process_rtu();
    std::size_t pos = 0;
    bool held_back = false;
    while (true) {
        const auto stream = std::span<const std::uint8_t>(rx_.data() + pos, rx_len_ - pos);
        const auto next = mbap::split(stream);
        if (next.status == mbap::split_status::need_more) break;
        if (pending_) {
            held_back = true;  // served when the pending write completes
            break;
        }
        if (next.status != mbap::split_status::frame) {
            stats_.malformed.fetch_add(1, std::memory_order_relaxed);
            close(next.status == mbap::split_status::bad_protocol ? "bad MBAP protocol id"
                                                                  : "bad MBAP length");
            return false;
        }
        serve(stream.first(next.size));
        if (closed_) return false;
        pos += next.size;
    }
    consumed(pos, held_back);
    return true;
}

// RTU over TCP: frames cut by length and CRC (no silence on a stream); noise and other slaves'
// frames are skipped without an answer, as on the bus behind a transparent converter.
bool tcp_session::process_rtu() {
    std::size_t pos = 0;
    bool held_back = false;
    while (pos < rx_len_) {
        if (pending_) {
            held_back = true;
            break;
        }
        std::vector<rtu::rtu_piece> pieces;
        const auto stream = std::span<const std::uint8_t>(rx_.data() + pos, rx_len_ - pos);
        const auto used = rtu::split(stream, false, pieces);
        if (pieces.empty()) break;  // an incomplete frame: wait for the rest
        // One piece at a time: a request may start a write that holds the rest back.
        const auto& p = pieces.front();
        if (p.what == rtu::rtu_piece::kind::noise)
            stats_.malformed.fetch_add(1, std::memory_order_relaxed);
        else if (p.what == rtu::rtu_piece::kind::request)
            serve_rtu(stream.subspan(p.offset, p.size));
        if (closed_) return false;
        pos += p.offset + p.size;
        (void)used;
    }
    consumed(pos, held_back);
    return true;
}

void tcp_session::serve_rtu(std::span<const std::uint8_t> frame) {
    const std::uint8_t unit = frame[0];
    const auto pdu = frame.subspan(1, frame.size() - 3);
    const auto& handler = server_.handler();
    if (unit == 0 || !handler.router().find(unit)) return;  // no broadcast, no foreign units
    stats_.requests.fetch_add(1, std::memory_order_relaxed);
    std::vector<std::uint8_t> pdu_out;
    auto job = handler.handle(unit, pdu, pdu_out, peer_);
    std::array<std::uint8_t, 8> header{};
    header[0] = unit;
    header[1] = pdu[0];
    if (job) return start_write_job(std::move(job), header.data());
    append_response(header.data(), pdu_out);
}

void tcp_session::consumed(std::size_t pos, bool held_back) {
    if (pos > 0) {
        std::memmove(rx_.data(), rx_.data() + pos, rx_len_ - pos);
        rx_len_ -= pos;
        last_activity_ = steady_clock::now();
    }
    if (rx_len_ == 0 || held_back) {
        partial_since_ = {};
    } else if (partial_since_ == time_point{}) {
        partial_since_ = steady_clock::now();
        const auto deadline = partial_since_ + options_.frame_timeout;
        if (deadline < timer_at_) arm_timer(deadline);
    }
}

void tcp_session::serve(std::span<const std::uint8_t> adu) {
    stats_.requests.fetch_add(1, std::memory_order_relaxed);
    const std::size_t start = out_.size();
    out_.insert(out_.end(), adu.begin(), adu.begin() + mbap::header_size);
    const auto& handler = server_.handler();
    auto job = handler.handle(handler.router().tcp_unit(mbap::unit_of(adu)), mbap::pdu_of(adu),
                              out_, peer_);
    if (job) {
        out_.resize(start);
        return start_write_job(std::move(job), adu.data());
    }
    if (out_[start + mbap::header_size] & 0x80)
        stats_.exceptions.fetch_add(1, std::memory_order_relaxed);
    mbap::fix_length(out_, start);
}

void tcp_session::start_write_job(std::unique_ptr<pending_write> job, const std::uint8_t* header) {
    pending p;
    p.seq = next_seq_++;
    std::copy_n(header, p.header.size(), p.header.begin());
    auto* raw_job = job.get();
    p.job = std::move(job);
    pending_ = std::move(p);
    const auto seq = pending_->seq;
    write_deadline_.expires_after(options_.write_timeout);
    write_deadline_.async_wait([w = weak_from_this(), seq](boost::system::error_code ec) {
        auto self = w.lock();
        if (ec || !self || !self->pending_ || self->pending_->seq != seq) return;
        self->pending_->job->abandon();
        self->complete(seq, {});  // empty: answered as a device timeout
    });
    auto exec = socket_.get_executor();
    raw_job->start(
        [w = weak_from_this(), exec, seq](std::vector<std::uint8_t> pdu) {
            asio::post(exec, [w, seq, pdu = std::move(pdu)]() mutable {
                if (auto self = w.lock()) self->complete(seq, std::move(pdu));
            });
        },
        write_deadline_.expiry());
}

void tcp_session::append_response(const std::uint8_t* header,
                                  const std::vector<std::uint8_t>& pdu) {
    if (options_.frames == tcp_options::framing::rtu) {
        // header = unit, function
        const auto start = out_.size();
        out_.push_back(header[0]);
        out_.insert(out_.end(), pdu.begin(), pdu.end());
        std::vector<std::uint8_t> frame(out_.begin() + static_cast<std::ptrdiff_t>(start),
                                        out_.end());
        const auto crc = rtu::crc16(frame);
        out_.push_back(static_cast<std::uint8_t>(crc & 0xFF));
        out_.push_back(static_cast<std::uint8_t>(crc >> 8));
        if (!pdu.empty() && (pdu[0] & 0x80))
            stats_.exceptions.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    mbap::append_response(out_, std::span(header, mbap::header_size), pdu);
    if (pdu[0] & 0x80) stats_.exceptions.fetch_add(1, std::memory_order_relaxed);
}

// The pending write `seq` finished; an empty pdu means its deadline passed (0x0B). Then the
// requests that arrived meanwhile are served.
void tcp_session::complete(std::uint64_t seq, std::vector<std::uint8_t> pdu) {
    if (closed_ || !pending_ || pending_->seq != seq) return;  // late answer after the deadline
    write_deadline_.cancel();
    if (pdu.empty()) {
        const auto function = options_.frames == tcp_options::framing::rtu
                                  ? pending_->header[1]
                                  : pending_->header[mbap::header_size];
        pdu = {static_cast<std::uint8_t>(function | 0x80),
               static_cast<std::uint8_t>(exception_for(core::outcome::timeout))};
    }
    append_response(pending_->header.data(), pdu);
    pending_.reset();
    if (!process_frames()) return;
    do_write();
    do_read();
}

// Responses are first sent with one non-blocking send(); only what the socket does not take
// goes through async_write. Most responses thus cost no extra trip through the io_context.
void tcp_session::do_write() {
    if (writing_active_ || out_.empty() || closed_) return;
    boost::system::error_code ec;
    const std::size_t sent = socket_.write_some(asio::buffer(out_), ec);
    if (ec && ec != asio::error::would_block) return close(nullptr);
    if (sent == out_.size()) {
        out_.clear();
        return;
    }
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(sent));
    writing_active_ = true;
    std::swap(out_, writing_);
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                          self->writing_active_ = false;
                          self->writing_.clear();
                          if (ec) return self->close(nullptr);
                          self->do_write();
                          self->do_read();
                      });
}

void tcp_session::arm_timer(time_point at) {
    timer_at_ = at;
    timer_.expires_at(at);
    timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
}

// One timer per connection serves both deadlines; it is re-armed only when it fires or when a
// partial frame needs an earlier wake-up, never per request.
void tcp_session::on_timer(boost::system::error_code ec) {
    if (ec || closed_) return;
    const auto now = steady_clock::now();
    if (partial_since_ != time_point{} && now - partial_since_ >= options_.frame_timeout)
        return close("incomplete frame timed out");
    if (!pending_ && now - last_activity_ >= options_.idle_timeout) return close("idle timeout");
    auto next =
        std::max(last_activity_ + options_.idle_timeout, now + std::chrono::milliseconds(10));
    if (partial_since_ != time_point{})
        next = std::min(next, partial_since_ + options_.frame_timeout);
    arm_timer(next);
}

void tcp_session::close(const char* why) {
    if (closed_) return;
    closed_ = true;
    if (why)
        spdlog::get("modbus")->info("connection {} closed: {}", peer_, why);
    else
        spdlog::get("modbus")->debug("connection {} closed", peer_);
    if (pending_) pending_->job->abandon();
    pending_.reset();
    write_deadline_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
    server_.session_closed(this);
}

}  // namespace vx::modbus
