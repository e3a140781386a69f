// `vxbridge sim ...`: the device simulators as commands (and for the demo).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace vx::app {

struct vebus_sim_args {
    std::string link;
    int latency_ms = 30;
    bool byte_timing = true;
    double ess_timeout_s = 15;
    double load_w = 300;
    double soc = 60;
    bool mains = true;
    std::string profile;  // "day": load and PV follow a household's day
    double speed = 1;
    // A grid meter measuring grid_load + the Multi's AC input (on L1) and meter_l2/l3_w.
    std::string meter;  // model name or device map path; empty: none
    std::string meter_pty, meter_tcp;
    std::vector<int> meter_units;  // default {1}
    int meter_baud = 9600;
    int meter_latency_ms = 5;
    double meter_l2_w = 0, meter_l3_w = 0;
    // The VE.Bus system and the [U] switches of protocols/vebus-multi-unit.md section 7.
    std::string topology = "1x1";
    std::string address_scheme = "contiguous", slave_ess = "ignore";
    bool garbage_beyond_phases = false, answer_address_read = true, config_needs_s = false;
    bool strict_f = true, lowercase_xyz = false;
};

struct xcom_sim_args {
    std::string pty, udp, udp_dest, tcp_connect, tcp_listen;
    bool lan = false;
    int latency_ms = 100;
    int slow_every_s = 60;
    std::vector<unsigned> devices = {101, 301, 701, 601};
    bool multicast_reads = true;
    bool multi_info = true;
    // The plant (devices/xcom/studer_plant.hpp): time compression, load, irradiance, grid, SoC,
    // a household's day.
    double speed = 1, load_w = 1500, pv_percent = 60, soc = 70, vt_peak_w = 3000, vs_peak_w = 4000;
    bool acin = true;
    std::string profile;  // "day"
    double start_hour = 12;
};
int run_xcom_sim(const xcom_sim_args& args);

// Runs until SIGINT/SIGTERM; control lines on stdin ("silent on", "drop 0.5", "vanish 3000",
// "status", ...) are answered on stdout. Returns the exit code.
int run_vebus_sim(const vebus_sim_args& args);

}  // namespace vx::app

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "vxbridge/config/site_config.hpp"

namespace vx::devices::vebus {
class sim_server;
}
namespace vx::devices::modbus_client {
struct client_options;
}

namespace vx::app {

// For `vxbridge demo`: a simulator for every device that has one, on a real transport (a pty
// in a private temp dir), and the device pointed at it. Stopped and cleaned up on destruction.
class demo_simulators {
  public:
    demo_simulators(boost::asio::io_context& io, config::site_config& site);
    ~demo_simulators();
    const std::vector<std::string>& lines() const { return lines_; }  // what runs where
    // A control line for one simulator, "NAME LINE" (NAME: the site's device name, e.g.
    // "multi soc 40", "studer acin off"); stdin lines when stdin is a pipe.
    std::string control(const std::string& line);

  private:
    void start_meters(
        boost::asio::io_context& io, std::shared_ptr<devices::vebus::sim_server> plant,
        std::vector<std::pair<std::string, devices::modbus_client::client_options*>>& meters);
    std::string dir_;
    std::vector<std::shared_ptr<void>> sims_;
    std::vector<std::function<void()>> stops_;
    std::vector<std::string> lines_;
    std::map<std::string, std::function<std::string(const std::string&)>> controls_;
    std::shared_ptr<void> reader_;
};

}  // namespace vx::app
