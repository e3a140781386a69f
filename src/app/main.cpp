// vxbridge: Modbus TCP/RTU gateway for Victron VE.Bus and Studer Xcom devices.
#include "vxbridge/app/commands.hpp"

int main(int argc, char** argv) {
    return vx::app::main(argc, argv);
}
