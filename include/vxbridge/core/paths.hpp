// Where the files that ship with vxbridge are: next to the binary's tree, in the install's
// share/vxbridge, or in the source tree the binary was built from.
#pragma once

#include <string>

namespace vx::core {

// `relative` (e.g. "maps/bridge/status.yaml") where it exists; empty when nowhere.
std::string find_data_file(const std::string& relative);

// The installed and source data directories, for a "not found" message.
std::string data_dirs();

}  // namespace vx::core
