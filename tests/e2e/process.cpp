#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace vx::test {

process::process(std::vector<std::string> argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0)
        throw std::runtime_error("cannot start " + argv[0]);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    err_fd_ = fds[0];
    fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

process::~process() {
    if (running()) stop(SIGKILL);
    if (err_fd_ >= 0) close(err_fd_);
}

bool process::read_some(std::chrono::milliseconds timeout) {
    pollfd p{err_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[4096];
    const auto n = read(err_fd_, buf, sizeof buf);
    if (n <= 0) return false;
    out_.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::string process::wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto at = out_.find(needle, scanned_);
        if (at != std::string::npos) {
            const auto bol = out_.rfind('\n', at);
            const auto eol = out_.find('\n', at);
            scanned_ = eol == std::string::npos ? out_.size() : eol;
            return out_.substr(bol == std::string::npos ? 0 : bol + 1,
                               (eol == std::string::npos ? out_.size() : eol) -
                                   (bol == std::string::npos ? 0 : bol + 1));
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0) return {};
        if (!read_some(left) && !running()) return {};
    }
}

const std::string& process::output() {
    while (read_some(std::chrono::milliseconds(0))) {
    }
    return out_;
}

bool process::running() {
    if (pid_ <= 0 || status_ >= 0) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return false;
    }
    return true;
}

int process::stop(int sig, std::chrono::milliseconds timeout) {
    if (!running()) return status_;
    kill(pid_, sig);
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (running() && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (running()) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        status_ = -1;
        return -1;
    }
    output();
    return status_;
}

bridge::bridge(const std::string& config, std::vector<std::string> extra)
    : proc([&] {
          std::vector<std::string> argv{VXBRIDGE_BIN, "run", "-c", config};
          if (std::find(extra.begin(), extra.end(), "--no-listen") == extra.end()) {
              argv.push_back("--listen");
              argv.push_back("127.0.0.1:0");
          }
          for (auto& e : extra)
              if (e != "--no-listen") argv.push_back(e);
          return argv;
      }()) {
    const auto line = proc.wait_for("listening on 127.0.0.1:");
    if (line.empty()) throw std::runtime_error("bridge did not start:\n" + proc.output());
    port = std::stoi(line.substr(line.rfind(':') + 1));
}

std::string write_temp_config(const std::string& name, const std::string& text) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("vxb-e2e-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
}

}  // namespace vx::test
