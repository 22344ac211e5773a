#pragma once
// `orderd serve`: the command line, and the process it runs (engine, store, both listeners, the
// graceful shutdown). The test server reuses it with services of its own.
#include <functional>

#include "app/server_options.hpp"

namespace orderd {
class Registry;
}

namespace orderd::app {

// Registers services beyond the shipped ones (tests only).
using ExtraServices = std::function<void(Registry&)>;

int serve(const ServerOptions& options, const ExtraServices& register_extra = {});
// Parses the command line and runs the chosen subcommand; returns the exit status.
int run(int argc, char** argv, const ExtraServices& register_extra = {});

}  // namespace orderd::app
