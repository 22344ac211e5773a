#pragma once
// The seed's order workflows. OrderService/ProcessOrder fans out six calls (two warehouses,
// payment, fraud, two carriers) and fans them in as they complete; OrderServiceSlow/ProcessOrder
// makes four calls one after another. Both void a payment authorization the order did not use.
#include "engine/context.hpp"
#include "services/order_types.hpp"

namespace orderd::services {

Task<OrderResult> process_order(Context& ctx, OrderRequest request);
Task<OrderResult> process_order_sequentially(Context& ctx, OrderRequest request);

// A failed order: voids `authorized_tx` first when the payment had been authorized.
Task<OrderResult> fail_order(Context& ctx, std::string details, std::string authorized_tx);

}  // namespace orderd::services
