#include "vxbridge/control/battery_life.hpp"

#include <algorithm>

namespace vx::control {

bool battery_life::set_mode(int value) {
    if (value < 0 || value > 12) return false;
    // 0 leads to a restart when an ESS assistant exists (batterylife.py `_disabled`).
    m_.state = value == 0 ? bl_state::restarting : static_cast<bl_state>(value);
    if (m_.state != bl_state::discharge_disabled && m_.state != bl_state::force_charge &&
        m_.state != bl_state::low_soc_charge)
        m_.discharged_since.reset();
    return true;
}

std::optional<double> battery_life::active_soc_limit(double min_soc) const {
    switch (m_.state) {
        case bl_state::keep_charged:
            return std::nullopt;
        case bl_state::optimized_plain:
        case bl_state::below_min_soc:
        case bl_state::recharge:
            return min_soc;
        default:
            break;
    }
    if (min_soc > c_.switch_max) return min_soc;
    return std::clamp(std::max(min_soc, m_.soc_limit), 0.0, c_.switch_max);
}

bool battery_life::discharge_blocked() const {
    switch (m_.state) {
        case bl_state::discharge_disabled:
        case bl_state::force_charge:
        case bl_state::low_soc_charge:
        case bl_state::keep_charged:  // no power from the battery to the loads while the grid is up
        case bl_state::below_min_soc:
        case bl_state::recharge:
            return true;
        default:
            return false;
    }
}

void battery_life::update(const battery_life_input& in) {
    if (!in.soc || !in.ess_assistant) return;  // runs only with an ESS assistant and a SoC
    if (in.local_minutes < 15) {               // a new day: the day flags clear 00:00-00:15
        m_.discharged_today = m_.absorption_today = m_.float_today = false;
    }
    if (m_.state == bl_state::unused) m_.state = bl_state::restarting;
    for (int i = 0; i < 5 && step(in, *in.soc); ++i) {
    }
}

bool battery_life::step(const battery_life_input& in, double soc) {
    switch (m_.state) {
        case bl_state::keep_charged:
        case bl_state::unused:
            return false;
        case bl_state::optimized_plain:
        case bl_state::below_min_soc:
        case bl_state::recharge:
            return step_without(soc, in.min_soc);
        default:
            return step_with_battery_life(in, soc, *active_soc_limit(in.min_soc));
    }
}

bool battery_life::step_with_battery_life(const battery_life_input& in, double soc, double active) {
    const double hyst = c_.switch_offset;
    switch (m_.state) {
        case bl_state::restarting:
            enter(bl_state::self_consumption, in);
            return true;
        case bl_state::self_consumption:
            if (in.sustain) return enter(bl_state::sustain, in), true;
            if (soc <= active && soc < 100) return enter(bl_state::discharge_disabled, in), true;
            if (soc >= c_.float_level) return enter(bl_state::above_95, in), true;
            if (soc >= c_.absorption_level) return enter(bl_state::above_85, in), true;
            return false;
        case bl_state::above_85:
            if (soc >= c_.float_level) return enter(bl_state::above_95, in), true;
            if (soc < c_.absorption_level - hyst)
                return enter(bl_state::self_consumption, in), true;
            return false;
        case bl_state::above_95:
            if (soc < c_.float_level - hyst) return enter(bl_state::above_85, in), true;
            return false;
        case bl_state::discharge_disabled:
            if (soc > active + hyst || soc >= 100)
                return enter(bl_state::self_consumption, in), true;
            if (soc <=
                std::max(in.min_soc, active - c_.low_soc_charge_offset) - c_.low_soc_charge_offset)
                return enter(bl_state::low_soc_charge, in), true;
            if (m_.discharged_since && in.now - *m_.discharged_since > c_.force_charge_after) {
                m_.soc_limit = std::min(m_.soc_limit + c_.switch_increment, c_.switch_max);
                m_.discharged_since = in.now;
                return enter(bl_state::force_charge, in), true;
            }
            return false;
        case bl_state::force_charge:
            if (soc > active) return enter(bl_state::discharge_disabled, in), true;
            return false;
        case bl_state::sustain:
            if (!in.sustain) return enter(bl_state::self_consumption, in), true;
            return false;
        case bl_state::low_soc_charge:
            if (soc >= std::max({in.min_soc, active - c_.low_soc_charge_offset, 3.0}))
                return enter(bl_state::discharge_disabled, in), true;
            return false;
        default:
            return false;
    }
}

bool battery_life::step_without(double soc, double min_soc) {
    switch (m_.state) {
        case bl_state::optimized_plain:
            if (min_soc > 0 && soc <= min_soc && soc < 100) {
                m_.state = bl_state::below_min_soc;
                return true;
            }
            return false;
        case bl_state::below_min_soc:
            if (soc >= min_soc + c_.switch_offset) {
                m_.state = bl_state::optimized_plain;
                return true;
            }
            if (soc <= min_soc - c_.low_soc_charge_offset) {
                m_.state = bl_state::recharge;
                return true;
            }
            return false;
        case bl_state::recharge:
            if (soc >= min_soc) {
                m_.state = bl_state::below_min_soc;
                return true;
            }
            return false;
        default:
            return false;
    }
}

// Entering a state moves the dynamic limit the first time per day: +5 when the battery is found
// discharged (or sustained), -5 at 85 %, another -5 at 95 %.
void battery_life::enter(bl_state s, const battery_life_input& in) {
    const bool discharged = s == bl_state::discharge_disabled || s == bl_state::sustain;
    if (discharged && !m_.discharged_today) {
        m_.discharged_today = true;
        m_.soc_limit = std::min(m_.soc_limit + c_.switch_increment, c_.switch_max);
    }
    if (s == bl_state::above_85 && !m_.absorption_today) {
        m_.absorption_today = true;
        m_.soc_limit = std::max(m_.soc_limit - c_.switch_increment, 0.0);
    }
    if (s == bl_state::above_95 && !m_.float_today) {
        m_.float_today = true;
        m_.soc_limit = std::max(m_.soc_limit - c_.switch_increment, 0.0);
    }
    const bool low = s == bl_state::discharge_disabled || s == bl_state::force_charge ||
                     s == bl_state::low_soc_charge;
    if (!low)
        m_.discharged_since.reset();
    else if (!m_.discharged_since)
        m_.discharged_since = in.now;
    m_.state = s;
}

}  // namespace vx::control
