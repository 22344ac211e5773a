#include "engine/engine_internal.hpp"

// Domain rows outside any invocation: writes that are idempotent in themselves, point reads and
// scans of durable rows (store/rows.hpp; docs/ARCHITECTURE.md, "Domain tables"). Rows written by
// a step go with its journal entry (Invocation::record_run).

namespace orderd {

void Engine::write_rows(std::vector<store::RowWrite> rows, UniqueFunction<void()> on_durable) {
  impl_->check_tables(rows);
  Write w{Write::Op::kRows, {}, {}, {}, std::move(rows)};
  impl_->write_then(std::move(w), std::move(on_durable));
}

std::optional<std::string> Engine::read_row(const std::string& table, const std::string& key) {
  return impl_->store.read_row(table, key);
}

// `done` (which may hold an HTTP responder) is moved into the posted task, so it dies on the
// engine thread, never on the scanner's.
void Engine::scan_rows(store::RowRange range, ScanDone done) {
  auto shared = std::make_shared<ScanDone>(std::move(done));
  impl_->store.scan_rows_async(
      std::move(range), [post = impl_->poster(), shared = std::move(shared)](
                            std::optional<std::vector<store::Row>> rows) mutable {
        post([shared = std::move(shared), rows = std::move(rows)]() mutable {
          (*shared)(std::move(rows));
        });
      });
}

}  // namespace orderd
