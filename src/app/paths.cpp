#include "vxbridge/app/paths.hpp"

#include <filesystem>
#include <vector>

namespace vx::app {

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
    for (const auto& r : roots)
        if (fs::exists(r / relative)) return (r / relative).string();
    return {};
}

}  // namespace vx::app
