// orderd: the durable order-processing engine and its HTTP ingress.
#include "app/serve.hpp"

int main(int argc, char** argv) {
  return orderd::app::run(argc, argv);
}
