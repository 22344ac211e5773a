// The store contract (support/store_contract.hpp), run against every store there is.
#include "support/store_contract.hpp"

#include "support/memory_store_fixture.hpp"
#include "support/sqlite_store_fixture.hpp"

namespace orderd::testing {

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract, SqliteStoreFixture);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StoreContract, MemoryStoreFixture);

}  // namespace orderd::testing
