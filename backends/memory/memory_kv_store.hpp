#pragma once
// KvStore kept in memory: one map under one mutex, so every call is all-or-nothing. Tests and
// single-process use only (not durable). Threads: any executor; completes on the caller's.

#include <memory>

#include "core/ports/kv_store.hpp"

namespace agentrt {

std::unique_ptr<KvStore> make_memory_kv_store();

}  // namespace agentrt
