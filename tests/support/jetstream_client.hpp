#pragma once
// A small synchronous JetStream client over libnats, for the tests: to look at a stream, read it
// whole through a consumer, and publish into it by hand. Every failure throws, naming what it did
// and the library's error text.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace orderd::testing {

struct StreamMessage {
  std::uint64_t sequence = 0;  // the stream's sequence
  std::string subject;         // the NATS subject it was published to
  std::string msg_id;          // its Nats-Msg-Id header ("" if none)
  std::string data;
};

struct StreamState {
  std::uint64_t messages = 0;
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::vector<std::string> subjects;  // the stream's configured subjects
};

class JetStreamClient {
 public:
  // Connects (no reconnects: a test wants to know) or throws.
  explicit JetStreamClient(const std::string& url);
  ~JetStreamClient();
  JetStreamClient(const JetStreamClient&) = delete;
  JetStreamClient& operator=(const JetStreamClient&) = delete;

  // nullopt when the stream does not exist.
  std::optional<StreamState> stream(const std::string& name);
  void add_stream(const std::string& name, const std::vector<std::string>& subjects);
  // Publishes and waits for the stream's ack: its sequence, and whether the stream saw the
  // msg id before (then it stored nothing).
  struct Ack {
    std::uint64_t sequence = 0;
    bool duplicate = false;
  };
  Ack publish(const std::string& subject, const std::string& data, const std::string& msg_id);

  // Every message of the stream, oldest first, through an ephemeral pull consumer on all of its
  // subjects (deliver all, explicit acks, each acked): fetched in batches until the consumer has
  // nothing pending, then once more to be sure nothing else comes.
  std::vector<StreamMessage> read_all(const std::string& stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd::testing
