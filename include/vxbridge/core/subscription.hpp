// A subscription owned by the consumer that made it: dropping the token unsubscribes.
#pragma once

#include <functional>
#include <utility>

namespace vx::core {

class subscription {
  public:
    subscription() = default;
    explicit subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
    subscription(subscription&& o) noexcept : cancel_(std::exchange(o.cancel_, nullptr)) {}
    subscription& operator=(subscription&& o) noexcept {
        if (this != &o) {
            reset();
            cancel_ = std::exchange(o.cancel_, nullptr);
        }
        return *this;
    }
    subscription(const subscription&) = delete;
    subscription& operator=(const subscription&) = delete;
    ~subscription() { reset(); }

    void reset() {
        if (auto c = std::exchange(cancel_, nullptr)) c();
    }

  private:
    std::function<void()> cancel_;
};

}  // namespace vx::core
