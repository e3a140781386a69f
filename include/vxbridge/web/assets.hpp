// The page's files (src/web/assets/), compiled into the binary by CMake: nothing is fetched at
// run time and the view works wherever the binary runs.
#pragma once

#include <optional>
#include <string_view>

namespace vx::web {

struct asset {
    std::string_view path;  // "/app.js"
    std::string_view body;
};

// The asset at `path` ("/" is /index.html), if any.
std::optional<asset> find_asset(std::string_view path);
std::string_view content_type_of(std::string_view path);

}  // namespace vx::web
