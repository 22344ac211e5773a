#pragma once
#include <memory>

#include "engine/scheduler.hpp"

namespace boost::asio {
class io_context;
}

namespace orderd {

// The production scheduler: an Asio io_context and its steady timers.
std::unique_ptr<Scheduler> make_asio_scheduler(boost::asio::io_context& io);

}  // namespace orderd
