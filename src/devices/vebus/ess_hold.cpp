#include "vxbridge/devices/vebus/ess_hold.hpp"

namespace vx::devices::vebus {

double ess_hold::request(double watts) {
    before_requested_ = requested_;
    before_charge_ = no_charge_;
    before_feed_ = no_feed_;
    requested_ = watts;
    pending_shown_ = watts;
    return effective();
}

std::optional<double> ess_hold::block(bool charge, bool on) {
    before_requested_ = requested_;
    before_charge_ = no_charge_;
    before_feed_ = no_feed_;
    pending_shown_.reset();
    (charge ? no_charge_ : no_feed_) = on;
    if (!requested_) return std::nullopt;
    return effective();
}

void ess_hold::confirm(clock::time_point now, bool client) {
    if (pending_shown_) {
        shown_ = *pending_shown_;
        pending_shown_.reset();
    }
    if (client) last_client_ = now;
}

void ess_hold::roll_back() {
    requested_ = before_requested_;
    no_charge_ = before_charge_;
    no_feed_ = before_feed_;
    pending_shown_.reset();
}

ess_hold::action ess_hold::due(clock::time_point now) const {
    if (!requested_) return action::none;
    if (now - last_client_ > t_.setpoint_timeout) return action::fall_back;
    if (now - last_sent_ >= t_.refresh) return action::refresh;
    return action::none;
}

void ess_hold::fall_back() {
    requested_.reset();
    shown_ = 0;
}

std::optional<ess_hold::clock::time_point> ess_hold::next_refresh() const {
    if (!requested_) return std::nullopt;
    return last_sent_ + t_.refresh;
}

double ess_hold::effective() const {
    const double v = requested_.value_or(0.0);
    if ((no_charge_ && v > 0) || (no_feed_ && v < 0)) return 0.0;
    return v;
}

}  // namespace vx::devices::vebus
