// A Studer system as the simulator shows it (pure: time passed in): Xtender(s) on one battery
// with AC-in (grid or generator), AC-out load, transfer relay, a charger bounded by {1107} (AC-in
// current limit) and {1138} (battery charge current), the inverter when AC-in is absent and
// Smart-Boost when the load exceeds the AC-in limit; VarioTrack / VarioString PV from an
// irradiance (% of peak, or a daily curve) with their charge current within their limits; a BSP
// integrating the net battery current into the SoC, voltage from SoC and current, temperatures;
// energy counters that only grow and day counters that reset at the simulated midnight; events
// for the Xcom's message service (AC-in lost, battery low, overload). Every info the shipped
// Xcom-485i maps expose gets a value from this model or a documented constant in its unit's
// physical range (docs/xcom.md, "The simulated plant").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vx::devices::xcom {

struct studer_plant_options {
    double battery_ah = 300;  // 48 V bank, 14.4 kWh
    double initial_soc = 70;  // %
    double load_w = 1500;     // AC-out
    double pv_percent = 60;   // irradiance, % of peak ("daylight")
    double vt_peak_w = 3000;  // VarioTrack array
    double vs_peak_w = 4000;  // VarioString arrays (PV1 + PV2)
    bool acin = true;         // grid present at AC-in
    double acin_v = 230;
    double speed = 1;          // simulated seconds per real second
    bool day_profile = false;  // load and irradiance follow a household's day
    double start_hour = 12;    // simulated local time at start
    // The XTH 8000-48 inverter's continuous power; above it in inverter mode: overload.
    double inverter_w = 8000;
};

// An Xcom message (catalogue number) raised by the plant, with the SCOM address of its source.
struct plant_message {
    std::uint16_t nr;
    std::uint32_t source;
    double sim_time;  // simulated seconds since start
};

class studer_plant {
  public:
    using clock = std::chrono::steady_clock;
    // The RAM value of a parameter of the device at `address` (the simulator's parameter store:
    // 1107, 1138, 1108 ...), NaN when it has none.
    using param_reader = std::function<double(std::uint32_t address, std::uint32_t nr)>;

    explicit studer_plant(studer_plant_options o = {});

    // Advances the plant to `now` (in steps of at most 1 simulated second).
    void advance(clock::time_point now, const param_reader& params);
    // The value of info `nr` of the device at SCOM `address` (101.., 301.., 701.., 601);
    // nullopt for an info the model does not know (the caller falls back to a constant).
    std::optional<double> info(std::uint32_t address, std::uint32_t nr) const;

    // Control lines: `load W`, `pv PERCENT`, `acin on|off`, `soc PERCENT`.
    void set_load(double w) { o_.load_w = std::max(0.0, w); }
    void set_pv(double percent);
    void set_acin(bool on) { o_.acin = on; }
    void set_soc(double percent);
    // The plant in one line (`status`).
    std::string describe() const;

    // Messages raised since the last call (the simulator keeps them for the Xcom).
    std::vector<plant_message> take_messages();

    // Figures for tests.
    double soc() const { return soc_; }
    double battery_v() const { return bat_v_; }
    double battery_a() const { return bat_i_; }  // + = charging
    double acin_a() const { return in_a_; }
    double pv_w() const { return vt_w_ + vs_w_; }
    double load_w() const { return load_now_; }
    int operating_state() const { return state_; }  // 3028: 1 inverter, 2 charger, 3 boost
    double sim_seconds() const { return t_; }
    // Energy totals since start (kWh): into the battery, out of it, AC-in, AC-out, PV, and
    // the modelled conversion losses.
    struct totals {
        double bat_in = 0, bat_out = 0, acin = 0, acout = 0, pv = 0, losses = 0;
    };
    const totals& energy() const { return tot_; }
    double battery_kwh() const { return soc_ / 100.0 * o_.battery_ah * kNominalV / 1000.0; }
    static constexpr double kNominalV = 48.0;

  private:
    void step(double dt, const param_reader& params);
    void day_rollover();
    void note(const std::string& key, double v);             // minute min/max/avg
    double minute(const std::string& key, int which) const;  // 0 min, 1 max, 2 avg

    studer_plant_options o_;
    clock::time_point last_{};
    double t_ = 0;  // simulated seconds since start
    int day_ = 0;   // simulated day number, for the day counters
    double soc_, bat_v_ = 51, bat_i_ = 0;
    double load_now_ = 0, pv_pct_now_ = 0;
    double in_a_ = 0, in_w_ = 0, out_w_ = 0, xt_bat_a_ = 0, wanted_a_ = 0;
    double vt_w_ = 0, vt_pv_v_ = 0, vt_bat_a_ = 0, vs_w_ = 0, vs_pv_v_[2]{0, 0}, vs_bat_a_ = 0;
    double temp_bat_ = 25, temp_xt_ = 35;
    int state_ = 2;  // 3028
    bool limit_reached_ = false, boost_ = false, overload_ = false, low_battery_ = false;
    bool acin_was_ = true, overload_noted_ = false, limit_noted_ = false;
    double limit_a_ = 32;  // {1107} in force
    int phase_ = 1;        // 3010: 1 bulk, 2 absorption, 4 floating
    // Day counters (today, yesterday) and totals.
    struct day_pair {
        double today = 0, yesterday = 0;
    };
    std::map<std::string, day_pair> daily_;
    std::map<std::string, double> total_;
    std::map<std::string, double> day_max_, day_min_;
    struct minute_stat {
        double min = 0, max = 0, sum = 0;
        int n = 0;
    };
    std::map<std::string, minute_stat> minute_, last_minute_;
    long minute_no_ = 0;
    totals tot_;
    std::vector<plant_message> messages_;
};

}  // namespace vx::devices::xcom
