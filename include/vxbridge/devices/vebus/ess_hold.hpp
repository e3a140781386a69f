// The ESS mode-3 setpoint as the bridge holds it for the Multi (DESIGN.md section 3), as a pure
// state machine with time passed in: what clients asked (GX sign, + = charge), the charge and
// feed-in blocks (registers 38/39), the refresh before the Multi drops an unrefreshed setpoint
// (~15 s, protocols/vebus-mk3-and-gx.md section 1.11), and the fall-back to 0 W when no client
// has written it for setpoint_timeout. A write answered with an exception never takes effect
// later through the refresh: the driver rolls it back.
#pragma once

#include <chrono>
#include <optional>

namespace vx::devices::vebus {

class ess_hold {
  public:
    using clock = std::chrono::steady_clock;
    struct timing {
        std::chrono::milliseconds refresh{1'000};
        std::chrono::milliseconds setpoint_timeout{60'000};
    };
    enum class action { none, refresh, fall_back };

    explicit ess_hold(timing t) : t_(t) {}

    // A client asks for `watts`: the value to send now (blocks applied). Then confirm() or
    // roll_back() with the device's answer.
    double request(double watts);
    // A client sets a block: the value to send now if the bridge holds a setpoint (nullopt:
    // nothing to send). Then confirm() / roll_back() as for request().
    std::optional<double> block(bool charge, bool on);
    void confirm(clock::time_point now, bool client);  // the Multi took it
    void roll_back();                                  // it did not: as before the request

    // What is due now: nothing, a refresh (send effective()), or the fall-back (call
    // fall_back(), send 0).
    action due(clock::time_point now) const;
    void fall_back();
    // When the next refresh is due (nullopt: nothing held).
    std::optional<clock::time_point> next_refresh() const;
    // A setpoint was sent to the Multi (a refresh or a client's).
    void sent(clock::time_point now) { last_sent_ = now; }

    bool holding() const { return requested_.has_value(); }
    double effective() const;
    double shown() const { return shown_; }  // what register 37 reads
    void show(double v) { shown_ = v; }      // the Multi's own value, read at start-up
    bool charge_blocked() const { return no_charge_; }
    bool feed_blocked() const { return no_feed_; }

  private:
    timing t_;
    std::optional<double> requested_;  // nullopt = the bridge does not control the Multi
    double shown_ = 0;
    bool no_charge_ = false, no_feed_ = false;
    clock::time_point last_client_{}, last_sent_{};
    // For roll_back().
    std::optional<double> before_requested_;
    bool before_charge_ = false, before_feed_ = false;
    std::optional<double> pending_shown_;
};

}  // namespace vx::devices::vebus
