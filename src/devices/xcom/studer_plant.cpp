#include "vxbridge/devices/xcom/studer_plant.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

namespace vx::devices::xcom {

namespace {

constexpr double kChargerEff = 0.95, kInverterEff = 0.93, kSolarEff = 0.97;
constexpr double kAbsorptionV = 57.6, kFloatV = 54.4;  // {1156}, {1140} defaults
constexpr double kVtMaxA = 80, kVsMaxA = 70;           // VT-80, VS-70

// Catalogue message numbers (xcom_messages_en.json).
constexpr std::uint16_t kMsgBatteryLow = 0;   // Warning (000): Battery low
constexpr std::uint16_t kMsgAcInLow = 7;      // Warning (007): Input voltage AC-In too low
constexpr std::uint16_t kMsgOverload = 15;    // Halted (015): Inverter overload BL
constexpr std::uint16_t kMsgInputLimit = 49;  // Transfer opened because AC-In max current ...

double bump(double h, double centre, double width, double height) {
    const double d = (h - centre) / width;
    return height * std::exp(-d * d);
}

double param_or(const studer_plant::param_reader& p, std::uint32_t a, std::uint32_t nr,
                double fallback) {
    const double v = p ? p(a, nr) : std::nan("");
    return std::isnan(v) ? fallback : v;
}

}  // namespace

studer_plant::studer_plant(studer_plant_options o) : o_(o), soc_(o.initial_soc) {
    pv_pct_now_ = o_.pv_percent;
    load_now_ = o_.load_w;
    acin_was_ = o_.acin;
}

void studer_plant::set_pv(double percent) {
    o_.pv_percent = std::clamp(percent, 0.0, 100.0);
}

void studer_plant::set_soc(double percent) {
    soc_ = std::clamp(percent, 0.0, 100.0);
}

void studer_plant::advance(clock::time_point now, const param_reader& params) {
    if (last_ == clock::time_point{}) {
        last_ = now;
        step(0, params);
        return;
    }
    double dt = std::chrono::duration<double>(now - last_).count() * o_.speed;
    last_ = now;
    while (dt > 0) {  // at most one simulated second a step: the counters stay honest
        const double s = std::min(dt, 1.0);
        step(s, params);
        dt -= s;
    }
}

void studer_plant::note(const std::string& key, double v) {
    auto& m = minute_[key];
    if (m.n == 0) m.min = m.max = v;
    m.min = std::min(m.min, v);
    m.max = std::max(m.max, v);
    m.sum += v;
    ++m.n;
}

// The last complete simulated minute (the current one until there is one).
double studer_plant::minute(const std::string& key, int which) const {
    auto it = last_minute_.find(key);
    if (it == last_minute_.end() || it->second.n == 0) it = minute_.find(key);
    if (it == minute_.end() || it->second.n == 0) return 0;
    const auto& m = it->second;
    return which == 0 ? m.min : which == 1 ? m.max : m.sum / m.n;
}

void studer_plant::day_rollover() {
    for (auto& [k, d] : daily_) {
        d.yesterday = d.today;
        d.today = 0;
    }
    day_max_.clear();
    day_min_.clear();
}

void studer_plant::step(double dt, const param_reader& params) {
    t_ += dt;
    const double hour = std::fmod(o_.start_hour + t_ / 3600.0, 24.0);
    const int day = static_cast<int>(std::floor((o_.start_hour + t_ / 3600.0) / 24.0));
    if (day != day_) {  // the simulated midnight
        day_ = day;
        day_rollover();
    }
    if (o_.day_profile) {
        load_now_ = std::round(300 + bump(hour, 7.5, 1.0, 1200) + bump(hour, 12.5, 1.0, 700) +
                               bump(hour, 19.5, 1.5, 1900));
        pv_pct_now_ =
            hour > 6 && hour < 20 ? 100 * std::pow(std::sin((hour - 6) / 14 * M_PI), 2) : 0;
    } else {
        load_now_ = o_.load_w;
        pv_pct_now_ = o_.pv_percent;
    }

    // PV: power from the irradiance, MPP voltages that rise a little with it; battery side after
    // the converter's losses, within the chargers' current limits.
    const double pv = pv_pct_now_ / 100.0;
    vt_w_ = o_.vt_peak_w * pv;
    vs_w_ = o_.vs_peak_w * pv;
    vt_pv_v_ = pv > 0 ? 105 + 20 * pv : 0;
    vs_pv_v_[0] = pv > 0 ? 380 + 40 * pv : 0;
    vs_pv_v_[1] = pv > 0 ? 370 + 40 * pv : 0;
    const double v = std::max(bat_v_, 40.0);
    vt_bat_a_ = std::min(vt_w_ * kSolarEff / v, kVtMaxA);
    vs_bat_a_ = std::min(vs_w_ * kSolarEff / v, kVsMaxA);
    vt_w_ = vt_bat_a_ * v / kSolarEff;
    vs_w_ = vs_bat_a_ * v / kSolarEff;

    // Charge phase from the SoC.
    phase_ = soc_ < 90 ? 1 : soc_ < 99.5 ? 2 : 4;
    const double charge_max = param_or(params, 101, 1138, 60);
    wanted_a_ = phase_ == 1 ? charge_max : phase_ == 2 ? charge_max * (100 - soc_) / 10 + 2 : 2;
    wanted_a_ = std::min(wanted_a_, charge_max);
    const double solar_a = vt_bat_a_ + vs_bat_a_;

    // The Xtender: with AC-in, the load passes through and the charger makes up what PV does not
    // bring of the wanted current, all within {1107}; a load above it is Smart-Boosted from the
    // battery. Without AC-in it inverts.
    const double limit_a = param_or(params, 101, 1107, 32);
    limit_a_ = limit_a;
    const bool charger_allowed = param_or(params, 101, 1125, 1) != 0;
    const bool boost_allowed = param_or(params, 101, 1126, 1) != 0;
    limit_reached_ = boost_ = overload_ = false;
    double charger_w = 0, inverter_w = 0;
    const double load = soc_ <= 0 && !o_.acin ? 0.0 : load_now_;
    out_w_ = load;
    if (o_.acin) {
        const double xt_a = charger_allowed ? std::clamp(wanted_a_ - solar_a, 0.0, charge_max) : 0;
        charger_w = xt_a * v / kChargerEff;
        const double cap = limit_a * o_.acin_v;
        if (load + charger_w > cap) {
            limit_reached_ = true;
            charger_w = std::max(0.0, cap - load);
            if (load > cap && boost_allowed && soc_ > 0) {
                boost_ = true;
                inverter_w = load - cap;
            }
        }
        in_w_ = load - inverter_w + charger_w;
        if (!boost_ && load > cap) in_w_ = load;  // no boost allowed: AC-in carries it all
        state_ = boost_ ? 3 : 2;
    } else {
        in_w_ = 0;
        inverter_w = load;
        overload_ = load > o_.inverter_w;
        state_ = 1;
    }
    in_a_ = o_.acin ? in_w_ / o_.acin_v : 0;
    xt_bat_a_ = (charger_w * kChargerEff - inverter_w / kInverterEff) / v;

    // The battery: full -> PV curtailed to what the load takes; the BSP counts the net current.
    double net = xt_bat_a_ + solar_a;
    if (soc_ >= 100 && net > 0) {
        const double keep = std::max(0.0, -xt_bat_a_) / std::max(solar_a, 1e-9);
        vt_bat_a_ *= std::min(1.0, keep);
        vs_bat_a_ *= std::min(1.0, keep);
        vt_w_ = vt_bat_a_ * v / kSolarEff;
        vs_w_ = vs_bat_a_ * v / kSolarEff;
        net = xt_bat_a_ + vt_bat_a_ + vs_bat_a_;
    }
    bat_i_ = net;
    soc_ = std::clamp(soc_ + bat_i_ * dt / 3600.0 / o_.battery_ah * 100.0, 0.0, 100.0);
    const double ocv = 46.5 + 6.5 * soc_ / 100.0;
    double bv = ocv + 0.012 * bat_i_;  // internal resistance
    if (bat_i_ > 0) bv = std::min(bv, phase_ == 4 ? kFloatV : kAbsorptionV);
    bat_v_ = std::clamp(bv, 44.0, 58.5);
    temp_bat_ += (25 + 0.03 * std::fabs(bat_i_) - temp_bat_) * std::min(1.0, dt / 600);
    temp_xt_ += (32 + (in_w_ + inverter_w) / 400 - temp_xt_) * std::min(1.0, dt / 300);

    // Energy (kWh): the battery's DC side, AC-in, AC-out, PV, and the converters' losses.
    const double h = dt / 3600.0 / 1000.0;
    const double pv_w = vt_w_ + vs_w_;
    tot_.bat_in += std::max(0.0, bat_i_) * bat_v_ * h;
    tot_.bat_out += std::max(0.0, -bat_i_) * bat_v_ * h;
    tot_.acin += in_w_ * h;
    tot_.acout += out_w_ * h;
    tot_.pv += pv_w * h;
    tot_.losses += (charger_w * (1 - kChargerEff) + inverter_w * (1 / kInverterEff - 1) +
                    pv_w * (1 - kSolarEff)) *
                   h;
    auto add = [&](const std::string& k, double x) {
        daily_[k].today += x;
        total_[k] += x;
    };
    add("xt_charge", charger_w * kChargerEff * h);
    add("xt_discharge", inverter_w / kInverterEff * h);
    add("xt_acin", in_w_ * h);
    add("xt_acout", out_w_ * h);
    add("vt_kwh", vt_w_ * h);
    add("vt_ah", vt_bat_a_ * dt / 3600.0);
    add("vs_kwh", vs_w_ * h);
    add("vs1_kwh", vs_w_ * 0.55 * h);
    add("vs2_kwh", vs_w_ * 0.45 * h);
    add("vs_ah", vs_bat_a_ * dt / 3600.0);
    add("irr_h", pv > 0.05 ? dt / 3600.0 : 0);
    add("abs_h", phase_ == 2 && bat_i_ > 0 ? dt / 3600.0 : 0);
    add("bsp_ah_in", std::max(0.0, bat_i_) * dt / 3600.0);
    add("bsp_ah_out", std::max(0.0, -bat_i_) * dt / 3600.0);
    auto extreme = [&](const std::string& k, double x) {
        day_max_[k] = day_max_.contains(k) ? std::max(day_max_[k], x) : x;
        day_min_[k] = day_min_.contains(k) ? std::min(day_min_[k], x) : x;
    };
    extreme("vt_pv_v", vt_pv_v_);
    extreme("vt_bat_a", vt_bat_a_);
    extreme("vt_kw", vt_w_ / 1000);
    extreme("vs_pv_v", vs_pv_v_[0]);
    extreme("vs_pv2_v", vs_pv_v_[1]);
    extreme("vs_bat_a", vs_bat_a_);
    extreme("vs_kw", vs_w_ / 1000);
    extreme("vs1_kw", vs_w_ * 0.55 / 1000);
    extreme("vs2_kw", vs_w_ * 0.45 / 1000);
    extreme("bat_v", bat_v_);

    // Minute statistics (min / max / avg of the last simulated minute).
    const long minute_no = static_cast<long>(t_ / 60);
    if (minute_no != minute_no_) {
        minute_no_ = minute_no;
        last_minute_ = std::move(minute_);
        minute_.clear();
    }
    note("bat_v", bat_v_);
    note("xt_bat_a", xt_bat_a_);
    note("out_kva", out_w_ / 1000 / 0.98);
    note("out_kw", out_w_ / 1000);
    note("temp1", temp_xt_);
    note("temp2", temp_xt_ - 3);
    note("out_hz", 50.0);
    note("in_v", o_.acin ? o_.acin_v : 0);
    note("in_a", in_a_);
    note("in_kw", in_w_ / 1000);
    note("in_hz", o_.acin ? 50.0 : 0);
    note("vt_bat_a", vt_bat_a_);
    note("vt_pv_v", vt_pv_v_);
    note("vt_kw", vt_w_ / 1000);
    note("vs_bat_a", vs_bat_a_);
    note("vs_pv_v", vs_pv_v_[0]);
    note("vs_pv2_v", vs_pv_v_[1]);
    note("vs_kw", vs_w_ / 1000);
    note("bat_temp", temp_bat_);
    note("soc", soc_);
    note("bat_a", bat_i_);

    // Events for the Xcom's message service, once per change.
    if (acin_was_ && !o_.acin) messages_.push_back({kMsgAcInLow, 101, t_});
    acin_was_ = o_.acin;
    const bool low = soc_ < 10 && bat_i_ < 0;
    if (low && !low_battery_) messages_.push_back({kMsgBatteryLow, 101, t_});
    low_battery_ = low;
    if (overload_ && !overload_noted_) messages_.push_back({kMsgOverload, 101, t_});
    overload_noted_ = overload_;
    if (limit_reached_ && !boost_allowed && !limit_noted_)
        messages_.push_back({kMsgInputLimit, 101, t_});
    limit_noted_ = limit_reached_ && !boost_allowed;
}

std::vector<plant_message> studer_plant::take_messages() {
    return std::exchange(messages_, {});
}

std::string studer_plant::describe() const {
    std::ostringstream o;
    o.precision(4);
    o << "soc=" << soc_ << " battery_v=" << bat_v_ << " battery_a=" << bat_i_
      << " acin=" << (o_.acin ? "on" : "off") << " acin_a=" << in_a_ << " acin_w=" << in_w_
      << " load_w=" << load_now_ << " pv_percent=" << pv_pct_now_ << " pv_w=" << vt_w_ + vs_w_
      << " xt_state=" << state_ << " phase=" << phase_ << " boost=" << boost_
      << " limit_reached=" << limit_reached_
      << " sim_hour=" << std::fmod(o_.start_hour + t_ / 3600.0, 24.0);
    return o.str();
}

std::optional<double> studer_plant::info(std::uint32_t address, std::uint32_t nr) const {
    (void)address;
    // A counter by name, 0 before it counted anything.
    const auto get = [](const auto& m, const char* k) -> const auto* {
        const auto it = m.find(k);
        return it == m.end() ? nullptr : &it->second;
    };
    auto today = [&](const char* k) { return get(daily_, k) ? get(daily_, k)->today : 0.0; };
    auto yesterday = [&](const char* k) {
        return get(daily_, k) ? get(daily_, k)->yesterday : 0.0;
    };
    auto value = [&](const auto& m, const char* k) { return get(m, k) ? *get(m, k) : 0.0; };
    auto total = [&](const char* k) { return value(total_, k); };
    auto dmax = [&](const char* k) { return value(day_max_, k); };
    auto dmin = [&](const char* k) { return value(day_min_, k); };
    const bool in = o_.acin;
    const double out_a = out_w_ / 230.0;
    switch (nr) {
        // Xtender
        case 3000:
            return bat_v_;
        case 3001:
            return temp_bat_;
        case 3002:
            return (25 - temp_bat_) * 0.003 * 24;  // Ctmp: -3 mV/C/cell x 24 cells
        case 3003:
            return 0.0;  // Cdyn
        case 3004:
            return wanted_a_;
        case 3005:
            return xt_bat_a_;
        case 3006:
            return 0.05 + std::fabs(xt_bat_a_) * 0.002;  // ripple
        case 3007:
            return soc_;
        case 3008:
            return 46.3;  // LVD: {1108} default
        case 3010:
            return phase_;
        case 3011:
            return in ? o_.acin_v : 0.0;
        case 3012:
            return in_a_;
        case 3013:
            return in ? in_w_ / 1000 / 0.98 : 0.0;
        case 3017:
            return limit_a_;  // {1107}
        case 3018:
            return limit_reached_ ? 1 : 0;
        case 3019:
            return boost_ ? 1 : 0;
        case 3020:
            return in ? 1 : 0;
        case 3021:
            return 230.0;
        case 3022:
            return out_a;
        case 3023:
            return out_w_ / 1000 / 0.98;
        case 3028:
            return state_;
        case 3030:
            return 1;  // output relay closed
        case 3049:
            return 1;  // inverter on
        case 3050:
            return 24;  // battery cells
        case 3054:
        case 3055:
            return 1;  // aux relay modes: automatic
        case 3074:
            return in ? 0 : 1;  // ground relay closes in inverter mode
        case 3075:
            return in ? 1 : 0;
        case 3076:
            return yesterday("xt_discharge");
        case 3078:
            return today("xt_discharge");
        case 3079:
            return today("xt_charge");
        case 3080:
            return yesterday("xt_acin");
        case 3081:
            return today("xt_acin");
        case 3082:
            return yesterday("xt_acout");
        case 3083:
            return today("xt_acout");
        case 3084:
        case 3154:
            return in ? 50.0 : 0.0;
        case 3085:
            return 50.0;
        case 3087:
            return out_w_;
        case 3088:
            return in_w_;
        case 3089:
            return 1;  // defined phase: L1
        case 3090:
            return minute("bat_v", 0);
        case 3091:
            return minute("bat_v", 1);
        case 3092:
            return minute("bat_v", 2);
        case 3093:
            return minute("xt_bat_a", 0);
        case 3094:
            return minute("xt_bat_a", 1);
        case 3095:
            return minute("xt_bat_a", 2);
        case 3096:
            return minute("out_kva", 0);
        case 3097:
            return minute("out_kva", 1);
        case 3098:
            return minute("out_kva", 2);
        case 3099:
            return minute("out_kw", 0);
        case 3100:
            return minute("out_kw", 1);
        case 3101:
            return minute("out_kw", 2);
        case 3102:
            return minute("temp1", 0);
        case 3103:
            return minute("temp1", 1);
        case 3104:
            return minute("temp1", 2);
        case 3105:
            return minute("temp2", 0);
        case 3106:
            return minute("temp2", 1);
        case 3107:
            return minute("temp2", 2);
        case 3108:
            return minute("out_hz", 0);
        case 3109:
            return minute("out_hz", 1);
        case 3110:
            return minute("out_hz", 2);
        case 3111:
            return minute("in_v", 0);
        case 3112:
            return minute("in_v", 1);
        case 3113:
            return minute("in_v", 2);
        case 3114:
            return minute("in_a", 0);
        case 3115:
            return minute("in_a", 1);
        case 3116:
            return minute("in_a", 2);
        case 3117:
            return minute("in_kw", 0);
        case 3118:
            return minute("in_kw", 1);
        case 3119:
            return minute("in_kw", 2);
        case 3120:
            return minute("in_hz", 0);
        case 3121:
            return minute("in_hz", 1);
        case 3122:
            return minute("in_hz", 2);
        case 3124:
            return 1;  // ID type: XTH
        case 3125:
            return 8000;  // ID power, VA (XTH 8000-48)
        case 3126:
            return 230;
        case 3127:
            return 48;
        case 3128:
            return 35;  // ID Iout nom, A
        case 3136:
            return out_w_ / 1000;
        case 3137:
            return in_w_ / 1000;
        case 3138:
            return in ? in_w_ / 1000 / 0.98 : 0.0;
        case 3139:
            return out_w_ / 1000 / 0.98;
        case 3159:
            return 0;  // no ARN4105 limitation
        case 3160:
            return phase_ == 1 ? 4 : 1;  // limited by I batt in bulk, else U batt
        case 3164:
            return phase_ == 4 ? kFloatV : kAbsorptionV;
        case 3165:
            return wanted_a_;
        case 3166:
            return (out_w_ - in_w_) / 230.0;  // DC/AC stage current
        case 3167:
            return 230.0;
        case 3168:
            return 0;  // thermal OK

        // VarioTrack
        case 11000:
            return bat_v_;
        case 11001:
            return vt_bat_a_;
        case 11002:
            return vt_pv_v_;
        case 11003:
            return vt_pv_v_ > 0 ? vt_w_ / vt_pv_v_ : 0.0;
        case 11004:
            return vt_w_ / 1000;
        case 11005:
            return temp_bat_;
        case 11006:
            return today("vt_ah");
        case 11007:
            return today("vt_kwh");
        case 11008:
            return total("vt_kwh");
        case 11009:
            return total("vt_kwh") / 1000;  // MWh
        case 11010:
            return yesterday("vt_ah");
        case 11011:
            return yesterday("vt_kwh");
        case 11015:
            return 0;  // VT-80
        case 11016:
            return vt_w_ <= 0 ? 0 : phase_ == 1 ? 8 : 9;  // night, charge, charge V
        case 11017:
            return dmax("vt_pv_v");
        case 11018:
            return dmax("vt_bat_a");
        case 11019:
            return dmax("vt_kw");
        case 11020:
            return dmax("bat_v");
        case 11021:
            return dmin("bat_v");
        case 11025:
        case 15030:
            return today("irr_h");
        case 11026:
        case 15031:
            return yesterday("irr_h");
        case 11038:
        case 15002:
            return phase_ == 1 ? 0 : phase_ == 2 ? 1 : 3;
        case 11039:
        case 15054:
            return minute("bat_v", 2);
        case 11040:
            return minute("vt_bat_a", 2);
        case 11041:
            return minute("vt_pv_v", 2);
        case 11043:
            return minute("vt_kw", 2);
        case 11044:
        case 15064:
            return minute("bat_temp", 2);
        case 11045:
        case 15065:
            return minute("temp1", 2) - 5;
        case 11046:
        case 15068:
            return minute("temp2", 2) - 5;
        case 11048:
        case 15075:
            return 48;
        case 11066:
            return 4;  // synchronised as XT slave
        case 11069:
        case 15108:
            return 1;
        case 11063:
        case 11064:
        case 11079:
        case 11080:
            return 1;  // relay modes automatic

        // VarioString
        case 15000:
            return bat_v_;
        case 15001:
            return vs_bat_a_;
        case 15003:
            return 1;  // PV arrays independent
        case 15004:
            return vs_pv_v_[0];
        case 15005:
            return vs_pv_v_[0];
        case 15006:
            return vs_pv_v_[1];
        case 15007:
            return vs_pv_v_[0] > 0 ? vs_w_ / vs_pv_v_[0] : 0.0;
        case 15008:
            return vs_pv_v_[0] > 0 ? vs_w_ * 0.55 / vs_pv_v_[0] : 0.0;
        case 15009:
            return vs_pv_v_[1] > 0 ? vs_w_ * 0.45 / vs_pv_v_[1] : 0.0;
        case 15010:
            return vs_w_ / 1000;
        case 15011:
            return vs_w_ * 0.55 / 1000;
        case 15012:
            return vs_w_ * 0.45 / 1000;
        case 15013:
        case 15014:
            return vs_w_ <= 0 ? 0 : phase_ == 1 ? 3 : 4;  // night/charge/V
        case 15016:
            return today("vs_ah");
        case 15017:
            return today("vs_kwh");
        case 15018:
            return today("vs1_kwh");
        case 15019:
            return today("vs2_kwh");
        case 15020:
            return total("vs_kwh");
        case 15021:
            return total("vs1_kwh");
        case 15022:
            return total("vs2_kwh");
        case 15023:
            return total("vs_kwh") / 1000;
        case 15024:
            return total("vs1_kwh") / 1000;
        case 15025:
            return total("vs2_kwh") / 1000;
        case 15026:
            return yesterday("vs_ah");
        case 15027:
            return yesterday("vs_kwh");
        case 15028:
            return yesterday("vs1_kwh");
        case 15029:
            return yesterday("vs2_kwh");
        case 15032:
            return temp_bat_;
        case 15033:
        case 15034:
            return dmax("vs_pv_v");
        case 15035:
            return dmax("vs_pv2_v");
        case 15036:
            return dmax("vs_bat_a");
        case 15037:
            return dmax("vs_kw");
        case 15038:
            return dmax("vs1_kw");
        case 15039:
            return dmax("vs2_kw");
        case 15040:
            return dmax("bat_v");
        case 15041:
            return dmin("bat_v");
        case 15042:
            return today("abs_h");
        case 15043:
            return 0.2;  // BAT- to earth
        case 15044:
        case 15045:
            return -vs_pv_v_[0] / 2;  // a floating array sits around earth
        case 15046:
            return -vs_pv_v_[1] / 2;
        case 15050:
            return 1;  // synchronised with the Xtender's battery cycle
        case 15051:
            return 10;  // VS slave
        case 15053:
            return phase_ == 4 ? kFloatV : kAbsorptionV;
        case 15055:
            return minute("bat_v", 1);
        case 15056:
            return minute("bat_v", 0);
        case 15057:
            return minute("vs_bat_a", 2);
        case 15058:
        case 15059:
            return minute("vs_pv_v", 2);
        case 15060:
            return minute("vs_pv2_v", 2);
        case 15061:
            return minute("vs_kw", 2);
        case 15062:
            return minute("vs_kw", 2) * 0.55;
        case 15063:
            return minute("vs_kw", 2) * 0.45;
        case 15066:
            return minute("temp1", 1) - 5;
        case 15067:
            return minute("temp1", 0) - 5;
        case 15069:
            return minute("temp2", 1) - 5;
        case 15070:
            return minute("temp2", 0) - 5;
        case 15074:
            return 13057;  // VS-70
        case 15090:
        case 15091:
            return 1;

        // BSP
        case 7000:
            return bat_v_;
        case 7001:
            return bat_i_;
        case 7002:
        case 7047:
            return soc_;
        case 7003:
            return bat_v_ * bat_i_;
        case 7004: {  // remaining autonomy at the present discharge, minutes
            const double wh = soc_ / 100 * o_.battery_ah * kNominalV;
            const double w = std::max(50.0, -bat_v_ * bat_i_);
            return std::min(wh / w * 60, 99999.0);
        }
        case 7005:
            return temp_bat_ + 2;
        case 7006:
            return 100;  // relative capacity
        case 7007:
            return today("bsp_ah_in");
        case 7008:
            return today("bsp_ah_out");
        case 7009:
            return yesterday("bsp_ah_in");
        case 7010:
            return yesterday("bsp_ah_out");
        case 7011:
            return total("bsp_ah_in") / 1000;  // kAh
        case 7012:
            return total("bsp_ah_out") / 1000;
        case 7013:
            return 412 + t_ / 86400;  // days in service
        case 7017:
            return total("bsp_ah_in");
        case 7018:
            return total("bsp_ah_out");
        case 7019:
            return t_ / 3600;
        case 7029:
            return temp_bat_;
        case 7030:
            return minute("bat_v", 2);
        case 7031:
            return minute("bat_a", 2);
        case 7032:
            return minute("soc", 2);
        case 7033:
            return minute("bat_temp", 2);
        case 7035:
            return 48;
        default:
            return std::nullopt;
    }
}

}  // namespace vx::devices::xcom
