#include "backends/kafka/kafka_client.hpp"

#include <array>
#include <utility>

namespace agentrt::kafka {

Result<KafkaConf> make_conf(const std::map<std::string, std::string>& properties) {
  KafkaConf conf(rd_kafka_conf_new());
  std::array<char, 512> reason{};
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason.data(), reason.size()) != RD_KAFKA_CONF_OK) {
      return Error{Errc::invalid, "kafka property " + name + ": " + std::string(reason.data())};
    }
  }
  return conf;
}

Result<KafkaHandle> make_client(rd_kafka_type_t type, KafkaConf conf) {
  std::array<char, 512> reason{};
  // rd_kafka_new owns the conf only when it succeeds.
  KafkaHandle rk(rd_kafka_new(type, conf.get(), reason.data(), reason.size()));
  if (!rk) return Error{Errc::invalid, "kafka client: " + std::string(reason.data())};
  (void)conf.release();
  return rk;
}

Error kafka_error(rd_kafka_resp_err_t err, const std::string& what) {
  Errc code = Errc::fatal;
  switch (err) {
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      code = Errc::throttled;
      break;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      code = Errc::timeout;
      break;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
      code = Errc::retryable;
      break;
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
      code = Errc::cancelled;
      break;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      code = Errc::invalid;
      break;
    default:
      break;
  }
  return Error{code, what + ": " + rd_kafka_err2str(err)};
}

rd_kafka_resp_err_t produce_copy(rd_kafka_t* rk, const ProduceArgs& args) {
  std::array<rd_kafka_vu_t, 7> vu{};
  std::size_t n = 0;
  vu[n].vtype = RD_KAFKA_VTYPE_TOPIC;
  vu[n++].u.cstr = args.topic->c_str();
  vu[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  vu[n++].u.i32 = args.partition < 0 ? RD_KAFKA_PARTITION_UA : args.partition;
  vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
  if (args.key != nullptr) {
    vu[n].vtype = RD_KAFKA_VTYPE_KEY;
    vu[n].u.mem.ptr = const_cast<char*>(args.key->data());  // copied (F_COPY), never written
    vu[n++].u.mem.size = args.key->size();
  }
  vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
  vu[n].u.mem.ptr = const_cast<char*>(args.value->data());
  vu[n++].u.mem.size = args.value->size();
  if (args.headers != nullptr) {
    vu[n].vtype = RD_KAFKA_VTYPE_HEADERS;
    vu[n++].u.headers = args.headers;
  }
  vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vu[n++].u.ptr = args.opaque;
  rd_kafka_error_t* error = rd_kafka_produceva(rk, vu.data(), n);
  if (error == nullptr) return RD_KAFKA_RESP_ERR_NO_ERROR;
  const auto code = rd_kafka_error_code(error);
  rd_kafka_error_destroy(error);
  return code;
}

BusHeaders headers_of(const rd_kafka_message_t& message) {
  BusHeaders out;
  rd_kafka_headers_t* headers = nullptr;  // owned by the message
  if (rd_kafka_message_headers(&message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR || headers == nullptr) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    out.emplace_back(name, value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size));
  }
  return out;
}

KafkaHeaders make_headers(const BusHeaders& headers) {
  KafkaHeaders out(rd_kafka_headers_new(headers.size()));
  for (const auto& [name, value] : headers) {
    rd_kafka_header_add(out.get(), name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  return out;
}

}  // namespace agentrt::kafka
