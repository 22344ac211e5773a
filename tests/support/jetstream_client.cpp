#include "support/jetstream_client.hpp"

#include <nats/nats.h>

#include <stdexcept>

namespace orderd::testing {

namespace {

[[noreturn]] void fail(const std::string& what, natsStatus s, int code = 0) {
  std::string text = what + ": " + natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last && *last) text += std::string(" (") + last + ")";
  if (code) text += " [JetStream error " + std::to_string(code) + "]";
  throw std::runtime_error(text);
}

}  // namespace

struct JetStreamClient::Impl {
  std::string url;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
};

JetStreamClient::JetStreamClient(const std::string& url) : impl_(std::make_unique<Impl>()) {
  impl_->url = url;
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK) s = natsConnection_Connect(&impl_->nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) fail("connecting to " + url, s);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  s = natsConnection_JetStream(&impl_->js, impl_->nc, &jo);
  if (s != NATS_OK) {
    natsConnection_Destroy(impl_->nc);
    fail("JetStream context on " + url, s);
  }
}

JetStreamClient::~JetStreamClient() {
  jsCtx_Destroy(impl_->js);
  natsConnection_Destroy(impl_->nc);
}

std::optional<StreamState> JetStreamClient::stream(const std::string& name) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, impl_->js, name.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) return std::nullopt;
  if (s != NATS_OK) fail("stream info of " + name + " on " + impl_->url, s, code);
  StreamState state;
  state.messages = si->State.Msgs;
  state.first_sequence = si->State.FirstSeq;
  state.last_sequence = si->State.LastSeq;
  if (si->Config)
    for (int i = 0; i < si->Config->SubjectsLen; ++i)
      state.subjects.emplace_back(si->Config->Subjects[i]);
  jsStreamInfo_Destroy(si);
  return state;
}

void JetStreamClient::add_stream(const std::string& name,
                                 const std::vector<std::string>& subjects) {
  std::vector<const char*> subs;
  for (const auto& s : subjects) subs.push_back(s.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subs.data();
  cfg.SubjectsLen = static_cast<int>(subs.size());
  cfg.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, impl_->js, &cfg, nullptr, &code);
  if (s != NATS_OK) fail("adding stream " + name, s, code);
  jsStreamInfo_Destroy(si);
}

JetStreamClient::Ack JetStreamClient::publish(const std::string& subject, const std::string& data,
                                              const std::string& msg_id) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  jsPubAck* pa = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(&pa, impl_->js, subject.c_str(), data.data(),
                            static_cast<int>(data.size()), &po, &code);
  if (s != NATS_OK) fail("publishing to " + subject, s, code);
  Ack ack{pa->Sequence, pa->Duplicate};
  jsPubAck_Destroy(pa);
  return ack;
}

std::vector<StreamMessage> JetStreamClient::read_all(const std::string& stream) {
  // An ephemeral pull consumer on the whole stream (no filter: it sees every subject).
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.DeliverPolicy = js_DeliverAll;
  cc.AckPolicy = js_AckExplicit;
  cc.InactiveThreshold = 60'000'000'000;  // 60 s: the server drops it after the test
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, impl_->js, stream.c_str(), &cc, nullptr, &code);
  if (s != NATS_OK) fail("adding a pull consumer on " + stream, s, code);
  const std::string consumer = ci->Name;
  // More is pending than the last message fetched said (or, at first, than the consumer said).
  bool pending = ci->NumPending > 0;
  jsConsumerInfo_Destroy(ci);

  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Consumer = consumer.c_str();
  natsSubscription* sub = nullptr;
  s = js_PullSubscribe(&sub, impl_->js, nullptr, nullptr, nullptr, &so, &code);
  if (s != NATS_OK) fail("binding to consumer " + consumer + " of " + stream, s, code);

  std::vector<StreamMessage> all;
  for (;;) {
    natsMsgList list{};
    // While something is pending, wait long for it; then one short fetch makes sure nothing
    // else comes.
    s = natsSubscription_Fetch(&list, sub, 256, pending ? 5000 : 200, &code);
    if (s == NATS_TIMEOUT && list.Count == 0) {
      if (!pending) break;
      pending = false;  // it said so, yet nothing came in 5 s: look once more, then give up
      continue;
    }
    if (s != NATS_OK && list.Count == 0) {
      natsSubscription_Destroy(sub);
      fail("fetching from consumer " + consumer + " of " + stream, s, code);
    }
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* msg = list.Msgs[i];
      StreamMessage m;
      m.subject = natsMsg_GetSubject(msg);
      if (const char* data = natsMsg_GetData(msg))
        m.data.assign(data, static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
      const char* id = nullptr;
      if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id) m.msg_id = id;
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        m.sequence = meta->Sequence.Stream;
        pending = meta->NumPending > 0;
        jsMsgMetaData_Destroy(meta);
      }
      natsMsg_Ack(msg, nullptr);
      all.push_back(std::move(m));
    }
    natsMsgList_Destroy(&list);
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  js_DeleteConsumer(impl_->js, stream.c_str(), consumer.c_str(), nullptr, nullptr);
  return all;
}

}  // namespace orderd::testing
