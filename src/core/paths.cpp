#include "vxbridge/core/paths.hpp"

#include <filesystem>
#include <vector>

namespace vx::core {

namespace fs = std::filesystem;

std::string find_data_file(const std::string& relative) {
    std::vector<fs::path> roots;
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        roots.push_back(exe.parent_path().parent_path());                         // build tree
        roots.push_back(exe.parent_path().parent_path() / "share" / "vxbridge");  // install
    }
    roots.push_back(VXBRIDGE_DATA_DIR);
    roots.push_back(VXBRIDGE_SOURCE_DIR);
    // A candidate we may not look into (a build tree under /root, run as nobody) is skipped:
    // the error_code overload, never the throwing one, on the start-up path.
    for (const auto& r : roots)
        if (fs::is_regular_file(r / relative, ec)) return (r / relative).string();
    return {};
}

std::string data_dirs() {
    return VXBRIDGE_DATA_DIR " or " VXBRIDGE_SOURCE_DIR;
}

}  // namespace vx::core
