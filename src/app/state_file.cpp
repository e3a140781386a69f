#include "vxbridge/app/state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace vx::app {

namespace fs = std::filesystem;

std::optional<state_values> load_state(const std::string& path, std::string& problem) {
    problem.clear();
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problem = "cannot read it";
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    return parse_state(text.str(), problem);
}

std::optional<state_values> parse_state(std::string_view text, std::string& problem) {
    problem.clear();
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        problem = "not a JSON object (damaged?)";
        return std::nullopt;
    }
    state_values out;
    for (const auto& [k, v] : j.items()) {
        if (!v.is_number()) {
            problem = "'" + k + "' is not a number (damaged?)";
            return std::nullopt;
        }
        const double d = v.get<double>();
        if (std::isfinite(d)) out[k] = d;
    }
    return out;
}

namespace {

bool write_all(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
        const auto n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

bool save_state(const std::string& path, const state_values& values, std::string& problem) {
    const fs::path p(path);
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) {
        problem = "cannot create " + p.parent_path().string() + ": " + ec.message();
        return false;
    }
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : values) j[k] = v;
    const std::string text = j.dump(1) + "\n";
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        problem = "cannot write " + tmp + ": " + std::strerror(errno);
        return false;
    }
    const bool ok = write_all(fd, text) && ::fsync(fd) == 0;
    const int saved_errno = errno;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        problem = "cannot write " + path + ": " + std::strerror(ok ? errno : saved_errno);
        ::unlink(tmp.c_str());
        return false;
    }
    // The rename itself is durable once the directory is.
    if (const int dir = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return true;
}

}  // namespace vx::app
