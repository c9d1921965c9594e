// The in-memory KvStore: the port's conformance suite.
#include "backends/memory/memory_kv_store.hpp"

#include "core/ports/conformance/kv_store_conformance.hpp"

namespace agentrt {
namespace {

using conformance::KvStoreConformance;

INSTANTIATE_TEST_SUITE_P(Memory, KvStoreConformance,
                         ::testing::Values(conformance::KvStoreBackend{
                             "Memory", [] { return conformance::KvStoreUnderTest{nullptr, make_memory_kv_store()}; }}),
                         conformance::kv_store_backend_name);

}  // namespace
}  // namespace agentrt
