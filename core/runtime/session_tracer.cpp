#include "core/runtime/session_tracer.hpp"

#include <string_view>
#include <utility>

namespace agentrt {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;

bool in_turn(SessionStatus status) {
  return status == SessionStatus::running || status == SessionStatus::waiting_for_input ||
         status == SessionStatus::sleeping;
}

// A view of data[key] when it is a string (empty otherwise), valid while `data` is.
std::string_view text_at(const nlohmann::json& data, const char* key) {
  const auto it = data.find(key);
  return it != data.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>()) : std::string_view{};
}

std::string text_of(const nlohmann::json& data, const char* key) { return std::string(text_at(data, key)); }

std::int64_t int_of(const nlohmann::json& data, const char* key) {
  const auto it = data.find(key);
  return it != data.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace

SessionTracer::SessionTracer(SpanSink& sink, const Clock& clock, SessionId session, TracedActivation activation)
    : sink_(sink),
      clock_(clock),
      session_(std::move(session)),
      activation_(std::move(activation)),
      session_text_(SpanText::shared(session_.str())),
      worker_text_(SpanText::shared(activation_.worker)),
      model_text_(SpanText::shared(activation_.model)),
      provider_text_(SpanText::shared(activation_.provider)),
      chat_name_(SpanText::shared("chat " + activation_.model)),
      anchor_wall_ns_(clock.wall_ms() * kNsPerMs),
      anchor_steady_(clock.monotonic()) {
  started_ns_ = anchor_wall_ns_;
}

std::int64_t SessionTracer::now_ns() const {
  return anchor_wall_ns_ + std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.monotonic() - anchor_steady_).count();
}

void SessionTracer::on_state(const SessionId&, const SessionState& state) {
  if (!loaded_) {
    loaded_ = true;
    trace_ = SessionTrace::of(session_.str(), state.traceparent, state.tracestate);
    if (!traced()) return;
    // Calls an earlier owner started and never recorded a result for: this activation runs them again.
    if (state.llm_in_flight) llm_ = OpenCall{trace_->llm_span_id(state.llm_request_seq), "", started_ns_, true};
    for (const auto& call : state.calls) {
      if (call.stage != PendingCall::Stage::running) continue;
      tools_[call.call_id] = OpenCall{trace_->tool_span_id(call.request_seq), call.name, started_ns_, true};
    }
  }
  if (!traced()) return;
  if (in_turn(state.status) && state.turn > 0 && (!turn_ || turn_->started_ms != state.turn_started_ms)) {
    turn_ = OpenTurn{state.turn, state.turn_started_ms, trace_->turn_span_id(state.turn_started_ms)};
  }
}

void SessionTracer::on_event(const SessionId&, const Event& event) {
  if (!traced()) return;
  switch (event.type) {
    case EventType::LlmRequested:
      llm_ = OpenCall{trace_->llm_span_id(event.seq.value), "", now_ns(), false};
      break;
    case EventType::LlmCompleted:
    case EventType::LlmFailed:
      end_llm(event);
      break;
    case EventType::ToolRequested:
      tools_[text_of(event.data, "call_id")] =
          OpenCall{trace_->tool_span_id(event.seq.value), text_of(event.data, "name"), now_ns(), false};
      break;
    case EventType::ToolCompleted:
    case EventType::ToolFailed:
      end_tool(event);
      break;
    case EventType::TurnCompleted:
      end_turn(now_ns(), "");
      break;
    case EventType::SessionFailed:
      end_turn(now_ns(), "session failed: " + text_of(event.data, "reason"));
      break;
    case EventType::SessionCancelled:
      end_turn(now_ns(), "session cancelled: " + text_of(event.data, "reason"));
      break;
    default:
      break;
  }
}

Span SessionTracer::child_of_turn(const SpanIdHex& span_id, SpanText name, std::int64_t start_ns) const {
  Span span;
  span.trace_id = trace_->context.trace_id;
  span.span_id = span_id;
  span.parent_span_id = turn_ ? turn_->span_id : trace_->root_span_id();
  span.name = std::move(name);
  span.kind = SpanKind::client;
  span.start_ns = start_ns;
  span.end_ns = now_ns();
  span.attributes.reserve(kSpanAttributesReserved);
  span.attributes.emplace_back("agentrt.session", session_text_);
  span.attributes.emplace_back("agentrt.worker", worker_text_);
  if (turn_) span.attributes.emplace_back("agentrt.turn", turn_->number);
  return span;
}

void SessionTracer::end_llm(const Event& event) {
  if (!llm_) return;
  Span span = child_of_turn(llm_->span_id, chat_name_, llm_->start_ns);
  span.attributes.emplace_back("gen_ai.operation.name", "chat");
  span.attributes.emplace_back("gen_ai.system", provider_text_);
  span.attributes.emplace_back("gen_ai.request.model", model_text_);
  if (event.type == EventType::LlmCompleted) {
    span.attributes.emplace_back("gen_ai.usage.input_tokens", int_of(event.data, "tokens_in"));
    span.attributes.emplace_back("gen_ai.usage.output_tokens", int_of(event.data, "tokens_out"));
    span.attributes.emplace_back("gen_ai.response.finish_reason", text_of(event.data, "finish_reason"));
    span.status = SpanStatus::ok;
  } else {
    span.status = SpanStatus::error;
    span.status_message = text_of(event.data, "error");
  }
  if (llm_->resumed) span.attributes.emplace_back("agentrt.resumed", true);
  llm_.reset();
  emit(std::move(span));
}

void SessionTracer::end_tool(const Event& event) {
  const auto it = tools_.find(text_at(event.data, "call_id"));
  if (it == tools_.end()) return;
  const OpenCall call = std::move(it->second);
  tools_.erase(it);
  Span span = child_of_turn(call.span_id, "tool " + call.name, call.start_ns);
  const auto attempts = int_of(event.data, "attempts");
  const bool ok = event.type == EventType::ToolCompleted;
  span.attributes.emplace_back("agentrt.tool.name", call.name);
  span.attributes.emplace_back("agentrt.tool.call_id", text_of(event.data, "call_id"));
  span.attributes.emplace_back("agentrt.tool.outcome", ok ? "ok" : "failed");
  span.attributes.emplace_back("agentrt.tool.attempts", attempts);
  span.attributes.emplace_back("agentrt.tool.retries", attempts > 1 ? attempts - 1 : std::int64_t{0});
  if (call.resumed) span.attributes.emplace_back("agentrt.resumed", true);
  span.status = ok ? SpanStatus::ok : SpanStatus::error;
  if (!ok) span.status_message = text_of(event.data, "error");
  emit(std::move(span));
}

void SessionTracer::end_turn(std::int64_t end_ns, const std::string& error) {
  if (!turn_) return;
  Span span;
  span.trace_id = trace_->context.trace_id;
  span.span_id = turn_->span_id;
  span.parent_span_id = trace_->root_span_id();
  span.name = "agentrt.turn";
  span.start_ns = turn_->started_ms * kNsPerMs;
  span.end_ns = end_ns;
  span.attributes = {{"agentrt.session", session_text_},
                     {"agentrt.turn", turn_->number},
                     {"agentrt.worker", worker_text_}};
  span.status = error.empty() ? SpanStatus::ok : SpanStatus::error;
  span.status_message = error;
  turn_.reset();
  emit(std::move(span));
}

void SessionTracer::finish(const std::string& error) {
  if (finished_ || !traced()) return;
  finished_ = true;
  Span span;
  span.trace_id = trace_->context.trace_id;
  span.span_id = trace_->activation_span_id(activation_.worker, started_ns_);
  span.parent_span_id = trace_->root_span_id();
  span.name = "agentrt.activation";
  span.start_ns = started_ns_;
  span.end_ns = now_ns();
  span.attributes = {{"agentrt.session", session_text_},
                     {"agentrt.org", activation_.org},
                     {"agentrt.bot", activation_.bot},
                     {"agentrt.worker", worker_text_},
                     {"agentrt.lease.epoch", activation_.epoch},
                     {"agentrt.activation.reason", activation_.reason}};
  span.status = error.empty() ? SpanStatus::ok : SpanStatus::error;
  span.status_message = error;
  emit(std::move(span));
}

std::string SessionTracer::activation_span_id() const {
  if (!trace_) return {};
  return std::string(trace_->activation_span_id(activation_.worker, started_ns_).str());
}

void SessionTracer::emit(Span span) {
  if (span.end_ns < span.start_ns) span.end_ns = span.start_ns;  // clocks of two workers may disagree
  sink_.export_span(std::move(span));
}

void SessionTracer::export_session_root(SpanSink& sink, const SessionTrace& trace, const std::string& org,
                                        const std::string& bot, std::int64_t created_ns) {
  if (!trace.context.sampled) return;
  Span span;
  span.trace_id = trace.context.trace_id;
  span.span_id = trace.root_span_id();
  // A trace the API began itself records the root as its own parent context: no parent then.
  if (trace.context.span_id != span.span_id) span.parent_span_id = trace.context.span_id;
  span.name = "agentrt.session";
  span.kind = SpanKind::server;
  span.start_ns = span.end_ns = created_ns;
  span.attributes = {{"agentrt.session", trace.session}, {"agentrt.org", org}, {"agentrt.bot", bot}};
  sink.export_span(std::move(span));
}

}  // namespace agentrt
