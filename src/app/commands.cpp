#include "vxbridge/app/commands.hpp"

#include <spdlog/spdlog.h>

#include <malloc.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <iostream>

#include "vxbridge/app/drivers.hpp"
#include "vxbridge/app/gateway.hpp"
#include "vxbridge/app/logging.hpp"
#include "vxbridge/app/simulators.hpp"
#include "vxbridge/app/systemd_notify.hpp"
#include "vxbridge/config/site_config.hpp"
#include "vxbridge/core/paths.hpp"
#include "vxbridge/register_map/map_loader.hpp"
#include "vxbridge/register_map/register_list.hpp"

namespace vx::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

constexpr int kOk = 0, kRuntime = 1, kBadConfig = 2;

void print_problems(const core::diagnostics& d) {
    for (const auto& p : d.problems()) std::cerr << p.to_string() << "\n";
}

// Loads and checks a config, the maps it names and the driver bindings, without starting.
std::optional<config::site_config> load_checked(const std::string& file) {
    core::diagnostics d;
    auto site = config::load_site_config(file, d, drivers());
    if (d.empty()) {
        try {
            asio::io_context io;
            gateway probe(io, site);
        } catch (const core::load_error& e) {
            d.merge(e.problems());
        }
    }
    if (!d.empty()) {
        print_problems(d);
        return std::nullopt;
    }
    return site;
}

struct run_overrides {
    std::string listen;
    std::string web;  // web.listen ("" = as configured; the demo: 127.0.0.1:8080 or a free port)
    bool banner = false;  // demo: print endpoints and ready mbpoll lines
};

void print_banner(const gateway& gw, const std::vector<std::string>& sims) {
    const auto ep = gw.tcp_endpoint();
    if (!ep) return;
    const auto host = ep->address().to_string();
    const auto at = " -p " + std::to_string(ep->port()) + " " + host;
    std::cout << "vxbridge demo: Modbus TCP on " << host << ":" << ep->port() << "\n";
    if (const auto web = gw.web_endpoint())
        std::cout << "  web view: http://" << web->address().to_string() << ":" << web->port()
                  << "/\n";
    for (const auto& s : sims) std::cout << "  " << s << "\n";
    for (const auto* u : gw.router().all())
        std::cout << "  unit " << int(u->id) << ": " << u->image->map().name << " (device "
                  << u->device_name << ")\n";
    std::cout << "try:\n"
              << "  mbpoll -m tcp -a 227 -t 4 -0 -r 26 -c 2 -1" << at
              << "        # battery voltage x100, current x10 (GX vebus unit)\n"
              << "  mbpoll -m tcp -a 227 -t 4 -0 -r 37" << at
              << " 65036     # ESS setpoint -500 W = feed in 500 W\n"
              << "  mbpoll -m tcp -a 100 -t 3 -0 -r 840 -c 4 -1" << at
              << "       # system: battery V, A, W, SoC\n"
              << "  mbpoll -m tcp -a 30 -t 4 -0 -r 2616 -c 6 -1" << at
              << "      # grid meter L1-L3 voltage, current x10 (evcc)\n"
              << "  mbpoll -m tcp -a 11 -t 3:float -B -0 -r 0 -1" << at
              << "      # Xtender battery voltage (info 3000)\n"
              << "  mbpoll -m tcp -a 11 -t 4:float -B -0 -r 6014" << at
              << " 16  # Xtender input limit 1107 = 16 A, RAM only\n"
              << "  mbpoll -m tcp -a 200 -t 4 -0 -r 10 -c 2 -1" << at
              << "        # static example unit\n"

              << "Ctrl-C stops.\n"
              << std::flush;
}

// Loads `site.file` again, checks it like `vxbridge check`, and applies it.
void reload(gateway& gw, config::site_config& site, const run_overrides& o) {
    auto log = spdlog::get("app");
    log->info("SIGHUP: reloading {}", site.file);
    sd_notify("RELOADING=1");
    core::diagnostics d;
    auto next = config::load_site_config(site.file, d, drivers());
    if (d.empty()) {
        try {
            asio::io_context probe_io;
            gateway probe(probe_io, next);
        } catch (const core::load_error& e) {
            d.merge(e.problems());
        }
    }
    if (!d.empty()) {
        log->error("reload refused ({} problems); still running the previous config",
                   d.problems().size());
        std::string text = "reload refused, still running the previous config:";
        for (const auto& p : d.problems()) {
            log->error("{}", p.to_string());
            text += "\n" + p.to_string();
        }
        gw.note_check(std::move(text));
    } else {
        if (!o.listen.empty()) next.modbus.listen = o.listen;
        if (!o.web.empty()) next.web.listen = o.web;
        log->info("reloaded: {}", gw.reload(next));
        malloc_trim(0);

        site = std::move(next);
    }
    sd_notify("READY=1");
}

// The demo's view: 127.0.0.1:8080, or any free port when that one is taken.
std::string demo_web_listen() {
    asio::io_context probe;
    asio::ip::tcp::acceptor a(probe);
    boost::system::error_code ec;
    const asio::ip::tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), 8080);
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    return ec ? "127.0.0.1:0" : "127.0.0.1:8080";
}

int run_site(config::site_config site, const run_overrides& o) {
    if (!o.listen.empty()) site.modbus.listen = o.listen;
    if (!o.web.empty()) site.web.listen = o.web;
    if (o.banner && !site.web.listen) site.web.listen = demo_web_listen();
    init_logging(site.log.level);
    // One thread runs every socket, timer and serial port; other threads (the RTU server, device
    // completions) only post to it, so the reactor needs no locking.
    asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    std::unique_ptr<demo_simulators> sims;
    std::unique_ptr<gateway> gw;
    try {
        if (o.banner) sims = std::make_unique<demo_simulators>(io, site);
        gw = std::make_unique<gateway>(io, site);
        gw->start();
    } catch (const core::load_error& e) {
        print_problems(e.problems());
        return kBadConfig;
    } catch (const std::exception& e) {
        spdlog::get("app")->error("{}", e.what());
        return kRuntime;
    }
    // yaml-cpp's node trees for the big maps peak at ~20 MB and glibc keeps what was freed:
    // give it back, the running gateway needs a fraction of it. Trimming walks every free chunk
    // of every arena (tens of ms): done a moment after start-up, off the path to the first
    // served request.
    asio::steady_timer trim(io, std::chrono::milliseconds(500));
    trim.async_wait([](boost::system::error_code ec) {
        if (!ec) malloc_trim(0);
    });
    if (o.banner) print_banner(*gw, sims->lines());

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        spdlog::get("app")->info("signal {}: stopping", sig);
        sd_notify("STOPPING=1");
        gw->stop();
        io.stop();
    });
    // SIGHUP: re-read the config; a config with any problem is refused and the running one stays.
    asio::signal_set hup(io, SIGHUP);
    std::function<void()> on_hup = [&] {
        hup.async_wait([&](boost::system::error_code ec, int) {
            if (ec) return;
            if (o.banner) {
                spdlog::get("app")->warn("SIGHUP: the demo does not reload");
            } else {
                reload(*gw, site, o);
            }
            on_hup();
        });
    };
    on_hup();
    // systemd (Type=notify): ready once the servers listen; the watchdog is fed from the
    // io_context, so a stuck event loop gets the service restarted.
    sd_notify("READY=1\nSTATUS=serving " + std::to_string(site.units.size()) + " units");
    asio::steady_timer watchdog(io);
    std::function<void()> feed = [&] {
        sd_notify("WATCHDOG=1");
        watchdog.expires_after(*watchdog_interval());
        watchdog.async_wait([&](boost::system::error_code e) {
            if (!e) feed();
        });
    };
    if (watchdog_interval()) feed();
    spdlog::get("app")->info("vxbridge {} running with {} ({} units)", VXBRIDGE_VERSION, site.file,
                             site.units.size());
    io.run();
    gw.reset();
    sims.reset();
    spdlog::get("app")->info("stopped");
    return kOk;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"vxbridge: Modbus TCP/RTU gateway for Victron VE.Bus and Studer Xcom devices"};
    cli.set_version_flag("--version", std::string(VXBRIDGE_VERSION));
    cli.require_subcommand(1);
    std::string config_file, map_file, format = "md", listen;
    bool verbose = false;

    auto* run = cli.add_subcommand("run", "run the gateway");
    run->add_option("-c,--config", config_file, "site config")->required();
    run->add_option("--listen", listen, "override modbus.listen (HOST:PORT, port 0 = any)");
    std::string web;
    run->add_option("--web", web, "override web.listen: the commissioning view (HOST:PORT)");
    run->add_flag("-v,--verbose", verbose, "debug logging");

    auto* check = cli.add_subcommand("check", "validate a config and every map it names");
    check->add_option("-c,--config", config_file, "site config")->required();

    auto* regs = cli.add_subcommand("regs", "print a map's register list");
    regs->add_option("map", map_file, "map file")->required();
    regs->add_option("--format", format, "md or csv")->check(CLI::IsMember({"md", "csv"}));

    auto* demo = cli.add_subcommand("demo", "the gateway with simulated devices");
    demo->add_option("--listen", listen, "HOST:PORT (default 127.0.0.1:1502)");
    demo->add_option("--web", web,
                     "the commissioning view's HOST:PORT (default 127.0.0.1:8080, or a free port "
                     "when that one is taken)");
    demo->add_flag("-v,--verbose", verbose, "debug logging");

    auto* sim = cli.add_subcommand("sim", "device simulators");
    sim->require_subcommand(1);
    vebus_sim_args vs;
    auto* sim_vebus = sim->add_subcommand("vebus", "MK3 + MultiPlus-II behind a pseudo-terminal");
    sim_vebus->add_option("--pty", vs.link, "path of the symlink to create")->required();
    sim_vebus->add_option("--latency", vs.latency_ms, "reply latency in ms (default 30)");
    sim_vebus->add_flag("!--no-byte-timing", vs.byte_timing, "answer without 2400-baud timing");
    sim_vebus->add_option("--ess-timeout", vs.ess_timeout_s,
                          "s until an unrefreshed setpoint drops");
    sim_vebus->add_option("--load", vs.load_w, "AC-out load in W (default 300)");
    sim_vebus->add_option("--soc", vs.soc, "initial state of charge in % (default 60)");
    sim_vebus->add_flag("!--no-mains", vs.mains, "no grid at AC-in");
    sim_vebus->add_option("--profile", vs.profile, "load and PV over time: day")
        ->check(CLI::IsMember({"day"}));
    sim_vebus->add_option("--speed", vs.speed, "time compression of --profile (default 1)")
        ->check(CLI::Range(0.001, 100000.0));
    auto* meter = sim_vebus->add_option(
        "--meter", vs.meter,
        "a grid meter on the site: em24, em24_ethernet, et340, em540, sdm630 or a device map");
    auto* meter_where = sim_vebus->add_option_group("meter transport");
    meter_where->add_option("--meter-pty", vs.meter_pty, "the meter's RTU line (pty symlink)");
    meter_where->add_option("--meter-tcp", vs.meter_tcp, "the meter's Modbus TCP HOST:PORT");
    meter_where->require_option(0, 1);
    sim_vebus->add_option("--meter-unit", vs.meter_units, "unit id(s) it answers (default 1)")
        ->check(CLI::Range(1, 247));
    sim_vebus->add_option("--meter-baud", vs.meter_baud, "RTU byte timing (default 9600)")
        ->check(CLI::Range(1200, 921600));
    sim_vebus->add_option("--meter-latency", vs.meter_latency_ms, "reply latency in ms (default 5)")
        ->check(CLI::Range(0, 10000));
    sim_vebus
        ->add_option("--topology", vs.topology,
                     "phases x units per phase: 1x1 (default), 1x2, 1x3, 2x1, 3x1, 3x2")
        ->check(CLI::IsMember({"1x1", "1x2", "1x3", "2x1", "3x1", "3x2"}));
    // The [U] answers of protocols/vebus-multi-unit.md section 7, one switch each.
    sim_vebus
        ->add_option("--address-scheme", vs.address_scheme,
                     "[U] single-phase parallel slaves: contiguous (0,1,2) or stride3 (0,3,6)")
        ->check(CLI::IsMember({"contiguous", "stride3"}));
    sim_vebus
        ->add_option("--slave-ess", vs.slave_ess,
                     "[U] an ESS write to a slave: ignore (0x87), apply, refuse (0x80)")
        ->check(CLI::IsMember({"ignore", "apply", "refuse"}));
    sim_vebus->add_flag("--garbage-beyond-phases", vs.garbage_beyond_phases,
                        "[U] F n above the phase count answers garbage (default: silence)");
    sim_vebus->add_flag("!--no-address-read", vs.answer_address_read,
                        "[U] 'A' 00 gets no reply (default: the selected address)");
    sim_vebus->add_flag("--config-needs-s", vs.config_needs_s,
                        "[U] F 07 answered only after an 'S' with ext0 bit 0x04");
    sim_vebus->add_flag("--lowercase-xyz", vs.lowercase_xyz,
                        "[U] x/y/z + device byte run on that unit (default: silence)");
    sim_vebus->add_flag("!--lenient-f", vs.strict_f,
                        "[U] keep an 'F' reply when 'A'/'S' arrives before it (default: drop)");
    sim_vebus->add_option("--meter-l2", vs.meter_l2_w, "load on L2 in W (default 0)");
    sim_vebus->add_option("--meter-l3", vs.meter_l3_w, "load on L3 in W (default 0)");
    (void)meter;

    xcom_sim_args xs;
    auto* sim_xcom = sim->add_subcommand("xcom", "Xcom-232i / Xcom-LAN with Studer devices");
    auto* where = sim_xcom->add_option_group("transport");
    where->add_option("--pty", xs.pty, "pseudo-terminal symlink (38400 8E1)");
    where->add_option("--udp", xs.udp, "HOST:PORT to receive requests on (MOXA UDP mode)");
    where->add_option("--tcp-connect", xs.tcp_connect, "HOST:PORT to dial (MOXA TCP client mode)");
    where->add_option("--tcp-listen", xs.tcp_listen, "HOST:PORT to listen on");
    where->require_option(1);
    sim_xcom->add_flag("--lan", xs.lan, "pty: Xcom-LAN personality (CR LF after each frame)");
    sim_xcom->add_option("--udp-dest", xs.udp_dest, "UDP: send replies here (default: the sender)");
    sim_xcom->add_option("--latency", xs.latency_ms, "reply latency in ms (default 100)");
    sim_xcom->add_option("--slow-every", xs.slow_every_s, "s between slow windows (0 = none)");
    sim_xcom->add_option("--devices", xs.devices, "SCOM addresses (default 101 301 701 601)")
        ->delimiter(',');
    sim_xcom->add_flag("!--no-multicast-reads", xs.multicast_reads,
                       "reads at 100/300/600/700 answer 0x002D");
    sim_xcom->add_flag("!--no-multi-info", xs.multi_info,
                       "answer multi-info with SERVICE_NOT_SUPPORTED");
    sim_xcom->add_option("--speed", xs.speed, "simulated seconds per second (default 1)")
        ->check(CLI::Range(0.001, 100000.0));
    sim_xcom->add_option("--load", xs.load_w, "AC-out load in W (default 1500)");
    sim_xcom->add_option("--pv", xs.pv_percent, "irradiance in % of peak (default 60)")
        ->check(CLI::Range(0.0, 100.0));
    sim_xcom->add_option("--vt-peak", xs.vt_peak_w, "VarioTrack array peak in W (default 3000)")
        ->check(CLI::Range(0.0, 100000.0));
    sim_xcom->add_option("--vs-peak", xs.vs_peak_w, "VarioString arrays' peak in W (default 4000)")
        ->check(CLI::Range(0.0, 100000.0));
    sim_xcom->add_option("--soc", xs.soc, "initial state of charge in % (default 70)")
        ->check(CLI::Range(0.0, 100.0));
    sim_xcom->add_flag("!--no-acin", xs.acin, "no grid at AC-in");
    sim_xcom->add_option("--profile", xs.profile, "load and PV over a household's day: day")
        ->check(CLI::IsMember({"day"}));
    sim_xcom->add_option("--start-hour", xs.start_hour, "simulated local time at start (12)")
        ->check(CLI::Range(0.0, 24.0));

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = cli.exit(e);
        return rc == 0 ? kOk : kBadConfig;
    }
    init_logging("info");

    if (*sim_vebus) return run_vebus_sim(vs);
    if (*sim_xcom) return run_xcom_sim(xs);
    if (*check) {
        const auto site = load_checked(config_file);
        if (!site) return kBadConfig;
        std::cout << config_file << ": ok (" << site->units.size() << " units, "
                  << site->devices.size() << " devices)\n";
        return kOk;
    }
    if (*regs) {
        core::diagnostics d;
        const auto m = register_map::load_map(map_file, d);
        if (!m) {
            print_problems(d);
            return kBadConfig;
        }
        std::cout << register_map::format_register_list(
            *m,
            format == "csv" ? register_map::list_format::csv : register_map::list_format::markdown);
        return kOk;
    }
    if (*run || *demo) {
        if (*demo) {
            config_file = core::find_data_file("config/demo.yaml");
            if (config_file.empty()) {
                std::cerr << "vxbridge demo: config/demo.yaml not found (or not readable) next "
                             "to the binary, in "
                          << core::data_dirs() << "\n";
                return kBadConfig;
            }
        }
        // No probe gateway here: building the real one reports the same binding problems
        // (exit 2) and every map is parsed and bound once, which halves the start-up time.
        core::diagnostics d;
        auto site = config::load_site_config(config_file, d, drivers());
        if (!d.empty()) {
            print_problems(d);
            return kBadConfig;
        }
        if (verbose) site.log.level = "debug";
        return run_site(std::move(site), {listen, web, bool(*demo)});
    }
    return kBadConfig;
}

}  // namespace vx::app
