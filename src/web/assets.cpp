#include "vxbridge/web/assets.hpp"

#include <array>

namespace vx::web {

namespace {

// kAssets: {path, body} of every file in src/web/assets/, written by CMake at configure time
// (the files are raw string literals; editing one re-runs the configure step).
#include "web_assets.inc"

}  // namespace

std::optional<asset> find_asset(std::string_view path) {
    if (path == "/") path = "/index.html";
    for (const auto& a : kAssets)
        if (a.path == path) return a;
    return std::nullopt;
}

std::string_view content_type_of(std::string_view path) {
    const auto ends = [&](std::string_view ext) {
        return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
    };
    if (ends(".html") || path == "/") return "text/html; charset=utf-8";
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    return "application/octet-stream";
}

}  // namespace vx::web
