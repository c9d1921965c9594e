// The in-memory LeaseStore: the port's conformance suite, on a MemorySessionStore.
#include "backends/memory/memory_lease_store.hpp"

#include "core/ports/conformance/lease_store_conformance.hpp"

namespace agentrt {
namespace {

using conformance::LeaseStoreBackend;
using conformance::LeaseStoreConformance;
using conformance::LeaseStoreUnderTest;

INSTANTIATE_TEST_SUITE_P(Memory, LeaseStoreConformance,
                         ::testing::Values(LeaseStoreBackend{"Memory",
                                                             []() {
                                                               auto store = make_memory_session_store();
                                                               auto leases = make_memory_lease_store(*store);
                                                               return LeaseStoreUnderTest{std::move(store),
                                                                                          std::move(leases)};
                                                             }}),
                         conformance::lease_store_backend_name);

}  // namespace
}  // namespace agentrt
