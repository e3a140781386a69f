// Test helper: runs a program (the real vxbridge binary, socat), reads its stderr, stops it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace vx::test {

class process {
  public:
    explicit process(std::vector<std::string> argv);
    ~process();
    process(const process&) = delete;
    process& operator=(const process&) = delete;

    // Reads stderr until a line contains `needle`; returns that line ("" on timeout or exit).
    std::string wait_for(const std::string& needle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Everything read from stderr so far (drains what is available without blocking).
    const std::string& output();
    // Sends `sig` and waits; returns the exit status (or 128 + signal), -1 on timeout.
    int stop(int sig = 15, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool running();
    pid_t pid() const { return pid_; }

  private:
    bool read_some(std::chrono::milliseconds timeout);
    pid_t pid_ = -1;
    int err_fd_ = -1;
    std::string out_;
    std::size_t scanned_ = 0;
    int status_ = -1;
};

// Starts `vxbridge run -c config --listen 127.0.0.1:0` and returns the port it listens on.
struct bridge {
    explicit bridge(const std::string& config, std::vector<std::string> extra = {});
    process proc;
    int port = 0;
};

std::string write_temp_config(const std::string& name, const std::string& text);

}  // namespace vx::test
