// The in-memory LeaseStore: the port's conformance suite, on a MemorySessionStore.
#include "backends/memory/memory_lease_store.hpp"

#include "core/ports/conformance/lease_store_conformance.hpp"

namespace agentrt {
namespace {

using conformance::LeaseStoreBackend;
using conformance::LeaseStoreConformance;
using conformance::LeaseStoreRunnable;
using conformance::LeaseStoreUnderTest;

LeaseStoreBackend memory_backend() {
  return LeaseStoreBackend{"Memory", []() {
                             auto store = make_memory_session_store();
                             auto leases = make_memory_lease_store(*store);
                             return LeaseStoreUnderTest{std::move(store), std::move(leases)};
                           }};
}

INSTANTIATE_TEST_SUITE_P(Memory, LeaseStoreConformance, ::testing::Values(memory_backend()),
                         conformance::lease_store_backend_name);
INSTANTIATE_TEST_SUITE_P(Memory, LeaseStoreRunnable, ::testing::Values(memory_backend()),
                         conformance::lease_store_backend_name);

}  // namespace
}  // namespace agentrt
