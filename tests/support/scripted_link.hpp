// Test helper: a byte link injected into a driver in place of its serial port or socket. It
// records every message the driver sends and answers each with what `respond` returns (a device
// model or a golden transcript), asynchronously on the executor as a real link would.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "vxbridge/transport/link.hpp"

namespace vx::test {

class scripted_link final : public transport::link,
                            public std::enable_shared_from_this<scripted_link> {
  public:
    using bytes = std::vector<std::uint8_t>;
    using responder = std::function<bytes(const bytes& request)>;

    scripted_link(boost::asio::any_io_executor exec, responder respond)
        : exec_(std::move(exec)), respond_(std::move(respond)) {}

    void start() override {
        up_ = true;
        report(true, "scripted");
    }
    void stop() override { up_ = false; }
    bool connected() const override { return up_; }
    std::string describe() const override { return "scripted link"; }

    std::vector<bytes> sent;  // every message, in order

  protected:
    void write_async(const bytes& m, std::function<void(bool)> done) override {
        sent.push_back(m);
        auto reply = respond_(m);
        boost::asio::post(exec_, [done = std::move(done)] { done(true); });
        if (!reply.empty())
            boost::asio::post(exec_, [w = weak_from_this(), reply = std::move(reply)] {
                if (auto s = w.lock(); s && s->up_ && s->on_data) s->on_data(reply);
            });
    }

  private:
    boost::asio::any_io_executor exec_;
    responder respond_;
    bool up_ = false;
};

// Runs `io` until `done()` holds or `timeout` passes (a condition, never a fixed sleep).
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < end) {
        io.restart();
        io.run_for(std::chrono::milliseconds(5));
    }
    return done();
}

}  // namespace vx::test
