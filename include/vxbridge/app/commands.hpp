// The command line: run, check, regs, demo (DESIGN.md section 1). Exit 0 ok, 2 bad config or
// usage, 1 runtime failure.
#pragma once

namespace vx::app {

int main(int argc, char** argv);

}  // namespace vx::app
