#include "commerce/events/jetstream_publisher.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <unordered_map>

namespace orderd::commerce {
namespace {

constexpr const char* kMsgIdHeader = "Nats-Msg-Id";

std::string status_text(natsStatus status, const std::string& what) {
  std::string text = what + ": " + natsStatus_GetText(status);
  natsStatus ignored;
  if (const char* detail = nats_GetLastError(&ignored); detail && *detail) {
    text += " (";
    text += detail;
    text += ")";
  }
  return text;
}

struct Ack {
  bool ok = false;
  bool duplicate = false;
  std::uint64_t sequence = 0;
  std::string error;
};

}  // namespace

// The libnats handles and what the publisher knows of the stream's tail. Used on the
// publisher's thread only, except `acks`, which libnats's ack handler fills from its own.
struct JetStreamPublisher::Connection {
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  bool stream_ready = false;
  bool synced = false;              // last_sequence/last_id read since the last failure
  std::uint64_t last_sequence = 0;  // the stream's last message
  std::string last_id;              // the newest event id the stream is known to hold
  std::mutex acks_mutex;
  std::unordered_map<std::string, Ack> acks;  // by event id, for the batch under way

  ~Connection() { close(); }
  void close() {
    if (js) jsCtx_Destroy(js);
    if (connection) natsConnection_Destroy(connection);
    js = nullptr;
    connection = nullptr;
    stream_ready = synced = false;
  }

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* failure, void* closure) {
    auto* self = static_cast<Connection*>(closure);
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, kMsgIdHeader, &id) == NATS_OK && id) {
      Ack result;
      if (ack) {
        result.ok = true;
        result.duplicate = ack->Duplicate;
        result.sequence = ack->Sequence;
      } else if (failure) {
        result.error = failure->ErrText ? failure->ErrText : natsStatus_GetText(failure->Err);
      }
      std::lock_guard lock(self->acks_mutex);
      self->acks[id] = std::move(result);
    }
    natsMsg_Destroy(msg);
  }
};

JetStreamPublisher::JetStreamPublisher(JetStreamOptions options)
    : options_(std::move(options)), connection_(std::make_unique<Connection>()) {
  thread_ = std::thread([this] { run(); });
}

JetStreamPublisher::~JetStreamPublisher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  connection_.reset();
}

std::string JetStreamPublisher::subject_for(std::string_view type) {
  if (type.substr(0, 6) == "order.") return "orders." + std::string(type.substr(6));
  return std::string(type);
}

std::string JetStreamPublisher::type_of(std::string_view event_json) {
  constexpr std::string_view kMember = "\"type\":\"";
  const auto at = event_json.find(kMember);
  if (at == std::string_view::npos) return {};
  const auto from = at + kMember.size();
  return std::string(event_json.substr(from, event_json.find('"', from) - from));
}

void JetStreamPublisher::publish(std::vector<store::Row> events,
                                 UniqueFunction<void(PublishOutcome)> done) {
  {
    std::lock_guard lock(mutex_);
    job_ = Job{std::move(events), std::move(done)};  // the relay has one batch out at a time
  }
  wake_.notify_one();
}

void JetStreamPublisher::run() {
  for (;;) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || job_.has_value(); });
    if (stopping_) return;
    Job job = std::move(*job_);
    job_.reset();
    lock.unlock();
    PublishOutcome outcome = publish_now(job.events);
    job.done(std::move(outcome));
  }
}

PublishOutcome JetStreamPublisher::publish_now(const std::vector<store::Row>& events) {
  Connection& c = *connection_;
  if (c.connection && natsConnection_IsClosed(c.connection)) c.close();
  if (!c.connection) {
    natsOptions* options = nullptr;
    natsOptions_Create(&options);
    natsOptions_SetURL(options, options_.url.c_str());
    natsOptions_SetName(options, "orderd event relay");
    natsOptions_SetTimeout(options, options_.connect_timeout_ms);
    // Once connected, libnats reconnects by itself for as long as it takes.
    natsOptions_SetAllowReconnect(options, true);
    natsOptions_SetMaxReconnect(options, -1);
    natsOptions_SetReconnectWait(options, 250);
    const natsStatus status = natsConnection_Connect(&c.connection, options);
    natsOptions_Destroy(options);
    if (status != NATS_OK) {
      c.close();
      return {0, status_text(status, "connect to " + options_.url)};
    }
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = options_.ack_timeout_ms;
    js_options.PublishAsync.AckHandler = &Connection::on_ack;
    js_options.PublishAsync.AckHandlerClosure = &c;
    js_options.PublishAsync.MaxPending = 1 << 16;
    if (natsStatus s = natsConnection_JetStream(&c.js, c.connection, &js_options); s != NATS_OK) {
      c.close();
      return {0, status_text(s, "jetstream")};
    }
    spdlog::info("event relay: connected to {}", options_.url);
  }

  if (!c.synced) {
    // The stream's tail: created if missing, else its last message's event id (see header).
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&info, c.js, options_.stream.c_str(), nullptr, &code);
    if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
      jsStreamConfig config;
      jsStreamConfig_Init(&config);
      const char* subjects[] = {"orders.>", "stock.>"};
      config.Name = options_.stream.c_str();
      config.Subjects = subjects;
      config.SubjectsLen = 2;
      config.Storage = js_FileStorage;
      s = js_AddStream(&info, c.js, &config, nullptr, &code);
      if (s == NATS_OK) spdlog::info("event relay: created stream {}", options_.stream);
    }
    if (s != NATS_OK) return {0, status_text(s, "stream " + options_.stream)};
    c.last_sequence = info->State.LastSeq;
    jsStreamInfo_Destroy(info);
    if (c.last_sequence > 0) {
      natsMsg* last = nullptr;
      if (js_GetMsg(&last, c.js, options_.stream.c_str(), c.last_sequence, nullptr, &code) ==
          NATS_OK) {
        const char* id = nullptr;
        if (natsMsgHeader_Get(last, kMsgIdHeader, &id) == NATS_OK && id && id > c.last_id)
          c.last_id = id;
        natsMsg_Destroy(last);
      }
    }
    c.synced = true;
  }

  // Events the stream holds already are acked without a resend.
  std::size_t held = 0;
  while (held < events.size() && events[held].key <= c.last_id) ++held;
  if (held == events.size()) return {held, {}};

  {
    std::lock_guard lock(c.acks_mutex);
    c.acks.clear();
  }
  std::string error;
  std::size_t sent = held;
  std::uint64_t expected = c.last_sequence;
  for (; sent < events.size(); ++sent) {
    const auto& event = events[sent];
    const std::string subject = subject_for(type_of(event.value));
    natsMsg* msg = nullptr;
    natsMsg_Create(&msg, subject.c_str(), nullptr, event.value.data(),
                   static_cast<int>(event.value.size()));
    natsMsgHeader_Set(msg, kMsgIdHeader, event.key.c_str());
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.ExpectLastSeq = expected;  // 0 (an empty stream): no expectation
    const natsStatus s = js_PublishMsgAsync(c.js, &msg, &options);
    natsMsg_Destroy(msg);  // no-op once libnats owns it
    if (s != NATS_OK) {
      error = status_text(s, "publish");
      break;
    }
    ++expected;
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = options_.ack_timeout_ms;
  if (natsStatus s = js_PublishAsyncComplete(c.js, &wait); s != NATS_OK) {
    if (error.empty()) error = status_text(s, "waiting for acks");
    natsMsgList pending;
    if (js_PublishAsyncGetPendingList(&pending, c.js) == NATS_OK) natsMsgList_Destroy(&pending);
  }

  std::size_t acked = held;
  {
    std::lock_guard lock(c.acks_mutex);
    for (; acked < sent; ++acked) {
      auto it = c.acks.find(events[acked].key);
      if (it == c.acks.end() || !it->second.ok) {
        if (it != c.acks.end()) error = "publish " + events[acked].key + ": " + it->second.error;
        break;
      }
      c.last_id = events[acked].key;
      if (!it->second.duplicate) c.last_sequence = it->second.sequence;
    }
    c.acks.clear();
  }
  if (acked < events.size()) {
    c.synced = false;  // read the tail again before the next try
    if (error.empty()) error = "no ack for " + events[acked].key;
  }
  return {acked, error};
}

}  // namespace orderd::commerce
