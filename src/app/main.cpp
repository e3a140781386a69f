// vxbridge: Modbus TCP/RTU gateway for Victron VE.Bus and Studer Xcom devices.
#include <exception>
#include <filesystem>
#include <iostream>

#include "vxbridge/app/commands.hpp"

int main(int argc, char** argv) {
    // Last line of defence: whatever escapes (a file we may not read, say) is one line and an
    // exit code, never std::terminate's abort.
    try {
        return vx::app::main(argc, argv);
    } catch (const std::filesystem::filesystem_error& e) {
        std::cerr << "vxbridge: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "vxbridge: " << e.what() << "\n";
        return 1;
    }
}
