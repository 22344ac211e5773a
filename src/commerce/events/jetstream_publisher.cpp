#include "commerce/events/jetstream_publisher.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>

#include "commerce/events/outbox.hpp"
#include "common/url_redaction.hpp"

namespace orderd::commerce {
namespace {

constexpr const char* kMsgIdHeader = "Nats-Msg-Id";
constexpr const char* kDiverged =
    ": it was published by another orderd store, or before this data directory was replaced (or "
    "lost events in a crash under --sync normal). Nothing more is published to it; give "
    "--nats-stream a new stream, or move the old one away, and restart";

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
  bool synced = false;              // last_sequence/last_id read since the last failure
  std::uint64_t last_sequence = 0;  // the stream's last message
  std::string last_id;              // the newest event id the stream is known to hold
  std::string tail_id, tail_data;   // the stream's last message at the sync, if orderd's
  std::mutex acks_mutex;
  std::unordered_map<std::string, Ack> acks;  // by event id, for the batch under way

  std::mutex handle_mutex;  // `connection` as the destructor's close() sees it

  ~Connection() { close(); }
  void close() {
    if (js) jsCtx_Destroy(js);
    std::lock_guard lock(handle_mutex);
    if (connection) natsConnection_Destroy(connection);
    js = nullptr;
    connection = nullptr;
    synced = false;
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
  {
    // Closing (not destroying) the connection ends the thread's requests at once, so a stopping
    // orderd does not wait out a stalled broker's timeouts.
    std::lock_guard lock(connection_->handle_mutex);
    if (connection_->connection) natsConnection_Close(connection_->connection);
  }
  thread_.join();
  connection_.reset();
}

std::string JetStreamPublisher::subject_for(std::string_view type) {
  if (type.substr(0, 6) == "order.") return "orders." + std::string(type.substr(6));
  return std::string(type);
}

void JetStreamPublisher::publish(std::vector<store::Row> events, std::uint64_t newest_emitted,
                                 UniqueFunction<void(PublishOutcome)> done) {
  {
    std::lock_guard lock(mutex_);
    // The relay has one batch out at a time.
    job_ = Job{std::move(events), newest_emitted, std::move(done)};
  }
  wake_.notify_one();
}

void JetStreamPublisher::run() {
  for (;;) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_.load() || job_.has_value(); });
    if (stopping_) return;
    Job job = std::move(*job_);
    job_.reset();
    lock.unlock();
    PublishOutcome outcome = publish_now(job.events, job.newest_emitted);
    outcome.stream_tail = std::exchange(synced_tail_, std::nullopt);
    job.done(std::move(outcome));
  }
}

std::string JetStreamPublisher::sync(std::uint64_t newest_emitted) {
  Connection& c = *connection_;
  // The stream: created if missing; one that does not take orderd's subjects is an error, not
  // something to retry into forever without saying so.
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
  if (s != NATS_OK) return status_text(s, "stream " + options_.stream);
  bool orders = false, stock = false;
  for (int i = 0; info->Config && i < info->Config->SubjectsLen; ++i) {
    const std::string_view subject = info->Config->Subjects[i];
    orders = orders || subject == "orders.>" || subject == ">";
    stock = stock || subject == "stock.>" || subject == ">";
  }
  c.last_sequence = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  if (!orders || !stock)
    return "stream " + options_.stream + " does not take the subjects orders.> and stock.>";

  // Its last message: if it is one of orderd's events, everything up to it is held (P1).
  c.tail_id.clear();
  c.tail_data.clear();
  if (c.last_sequence > 0) {
    natsMsg* last = nullptr;
    s = js_GetMsg(&last, c.js, options_.stream.c_str(), c.last_sequence, nullptr, &code);
    if (s == NATS_OK) {
      const char* id = nullptr;
      natsMsgHeader_Get(last, kMsgIdHeader, &id);
      const std::string_view data(natsMsg_GetData(last), natsMsg_GetDataLength(last));
      // Ours: an event id, in an event that names itself (another publisher's message, whatever
      // its Nats-Msg-Id, never counts, or it would pass for events never sent).
      const std::string prefix = std::string(R"({"specversion":"1.0","id":")") + (id ? id : "");
      if (id && Outbox::sequence_of(id) && data.substr(0, prefix.size()) == prefix &&
          data.substr(prefix.size(), 1) == "\"") {
        c.tail_id = id;
        c.tail_data = std::string(data);
      } else {
        spdlog::warn(
            "event relay: the last message of stream {} is not orderd's; publishing "
            "from the relay's own progress",
            options_.stream);
      }
      natsMsg_Destroy(last);
    } else if (s != NATS_NOT_FOUND && code != JSNoMessageFoundErr) {
      return status_text(s, "reading the last message of stream " + options_.stream);
    }  // not found: purged or expired; nothing is known to be held beyond the relay's progress
  }
  if (!c.tail_id.empty()) {
    // A tail beyond anything this store emitted was published by another store (a new data
    // directory, or events lost under --sync normal): its ids name other events here.
    if (Outbox::sequence_of(c.tail_id).value_or(0) > newest_emitted) {
      diverged_ = "stream " + options_.stream + " holds event " + c.tail_id +
                  ", past the newest this store has emitted (" + Outbox::event_id(newest_emitted) +
                  ")" + kDiverged;
      spdlog::error("event relay: {}", diverged_);
      return diverged_;
    }
    if (c.tail_id > c.last_id) c.last_id = c.tail_id;
  }
  synced_tail_ = c.tail_id.empty() ? 0 : *Outbox::sequence_of(c.tail_id);
  c.synced = true;
  return {};
}

PublishOutcome JetStreamPublisher::publish_now(const std::vector<store::Row>& events,
                                               std::uint64_t newest_emitted) {
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
    natsConnection* connection = nullptr;
    const natsStatus status =
        stopping_ ? NATS_CONNECTION_CLOSED : natsConnection_Connect(&connection, options);
    natsOptions_Destroy(options);
    {
      std::lock_guard lock(c.handle_mutex);
      c.connection = connection;
      if (stopping_ && connection) natsConnection_Close(connection);
    }
    if (status != NATS_OK) {
      c.close();
      return {0, status_text(status, "connect to " + redact_url(options_.url))};
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
    spdlog::info("event relay: connected to {}", redact_url(options_.url));
  }

  if (!c.synced) {
    if (std::string error = sync(newest_emitted); !error.empty()) return {0, error};
  }
  if (!diverged_.empty()) return {0, diverged_};

  // Events the stream holds already are acked without a resend; the tail read at the sync must
  // be this store's own event (see sync()).
  std::size_t held = 0;
  while (held < events.size() && events[held].key <= c.last_id) {
    if (events[held].key == c.tail_id && events[held].value != c.tail_data) {
      diverged_ = "stream " + options_.stream + " holds an event " + c.tail_id +
                  " that differs from this store's" + kDiverged;
      spdlog::error("event relay: {}", diverged_);
      return {0, diverged_};
    }
    ++held;
  }
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
    const std::string subject = subject_for(Outbox::type_of(event.value));
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
  // The acks, in slices, so that a stopping orderd does not wait out the whole timeout.
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = std::min<std::int64_t>(100, options_.ack_timeout_ms);
  natsStatus acks = NATS_TIMEOUT;
  for (std::int64_t waited = 0;
       acks == NATS_TIMEOUT && waited < options_.ack_timeout_ms && !stopping_;
       waited += wait.MaxWait)
    acks = js_PublishAsyncComplete(c.js, &wait);
  if (natsStatus s = acks; s != NATS_OK) {
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
