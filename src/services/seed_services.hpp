#pragma once
// Registers the seed's services (module 03) with their simulated behaviour.
#include "services/simulation.hpp"

namespace orderd {
class Registry;
}

namespace orderd::services {

void register_seed_services(Registry& registry, Simulation simulation);

}  // namespace orderd::services
