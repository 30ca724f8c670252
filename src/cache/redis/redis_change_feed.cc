#include "cache/redis/redis_change_feed.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cache/change_codec.h"
#include "cache/edge_keys.h"
#include "redis/reply.h"

namespace inventory::cache {
namespace {

using domain::SeatChange;

// "<ms>" or "<ms>-<n>", both decimal uint64 (what XREAD accepts as an id).
bool IsStreamId(std::string_view id) {
  auto number = [](std::string_view digits) {
    uint64_t value = 0;
    const char* end = digits.data() + digits.size();
    const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
    return !digits.empty() && digits.front() != '-' && ec == std::errc() && ptr == end;
  };
  const size_t dash = id.find('-');
  if (dash == std::string_view::npos) return number(id);
  return number(id.substr(0, dash)) && number(id.substr(dash + 1));
}

std::optional<int64_t> ParseSeq(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// One stream entry as read: its id, its "s" (if a number) and its decoded
// "c" (INVALID_ARGUMENT if missing or malformed).
struct Entry {
  std::string id;
  std::optional<int64_t> seq;
  absl::StatusOr<std::vector<SeatChange>> changes;
};

// Decodes an entry [id, [field, value, ...]]; INTERNAL for another shape
// (a reply Redis does not send), so the whole read counts as failed.
absl::StatusOr<Entry> ParseEntry(const redis::Reply& entry) {
  if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_array() ||
      entry[1].size() % 2 != 0) {
    return absl::InternalError(absl::StrCat("change feed: unexpected stream entry ", entry.DebugString()));
  }
  Entry out{entry[0].str(), std::nullopt, absl::InvalidArgumentError("entry has no field c")};
  const redis::Reply& fields = entry[1];
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (!fields[i].is_string() || !fields[i + 1].is_string()) {
      return absl::InternalError(absl::StrCat("change feed: unexpected stream entry ", entry.DebugString()));
    }
    if (fields[i].str() == "s") {
      out.seq = ParseSeq(fields[i + 1].str());
    } else if (fields[i].str() == "c") {
      out.changes = DecodeChanges(fields[i + 1].str());
    }
  }
  return out;
}

struct StreamRead {
  std::string key;
  std::vector<Entry> entries;
};

// Decodes an XREAD answer: nil (nothing new) or [[key, [entry...]]...].
absl::StatusOr<std::vector<StreamRead>> ParseRead(const absl::StatusOr<redis::Reply>& reply) {
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return absl::InternalError(absl::StrCat("change feed: redis: ", reply->str()));
  std::vector<StreamRead> out;
  if (reply->is_nil()) return out;
  auto bad = [&reply] {
    return absl::InternalError(absl::StrCat("change feed: unexpected XREAD reply ", reply->DebugString()));
  };
  if (!reply->is_array()) return bad();
  for (const redis::Reply& stream : reply->elements()) {
    if (!stream.is_array() || stream.size() != 2 || !stream[0].is_string() || !stream[1].is_array()) return bad();
    StreamRead read{stream[0].str(), {}};
    read.entries.reserve(stream[1].size());
    for (const redis::Reply& entry : stream[1].elements()) {
      absl::StatusOr<Entry> parsed = ParseEntry(entry);
      if (!parsed.ok()) return parsed.status();
      read.entries.push_back(std::move(*parsed));
    }
    out.push_back(std::move(read));
  }
  return out;
}

RedisChangeFeedOptions Sanitized(RedisChangeFeedOptions o) {
  o.block_time = std::max(o.block_time, std::chrono::milliseconds(1));
  o.max_entries_per_read = std::max<int64_t>(o.max_entries_per_read, 1);
  o.retry_pause = std::max(o.retry_pause, std::chrono::milliseconds(0));
  return o;
}

}  // namespace

// Everything the loop touches, shared with it so that the feed may be
// destroyed while a read is in flight. Only used on the executor.
struct RedisChangeFeed::State {
  State(asio::any_io_executor executor, redis::Client& client, std::string prefix, RedisChangeFeedOptions options)
      : executor(executor),
        client(client),
        prefix(std::move(prefix)),
        options(Sanitized(options)),
        wake(executor),
        done(executor, asio::steady_timer::time_point::max()) {}

  struct Followed {
    TripKey trip;
    FeedPosition cursor;
    uint64_t generation = 0;  // changes at each Follow
  };

  // The followed trip under stream `key` if it was not re-followed or
  // unfollowed since `generation`, and the loop is still wanted.
  Followed* Current(const std::string& key, uint64_t generation) {
    if (stopping || sink == nullptr) return nullptr;
    auto it = followed.find(key);
    if (it == followed.end() || it->second.generation != generation) return nullptr;
    return &it->second;
  }

  void Deliver(std::vector<StreamRead>& reads, const std::map<std::string, uint64_t>& asked);

  const asio::any_io_executor executor;
  redis::Client& client;
  const std::string prefix;
  const RedisChangeFeedOptions options;

  std::map<std::string, Followed> followed;  // by stream key
  uint64_t last_generation = 0;
  FeedSink* sink = nullptr;
  bool running = false;        // a loop exists (from Start until it has ended)
  bool stopping = false;       // the loop must end; no sink calls
  bool idle = false;           // the loop waits on `wake` because nothing is followed
  bool loss_reported = false;  // OnFeedLost told for the current failure streak
  asio::steady_timer wake;     // the idle wait and the retry pause
  asio::steady_timer done;     // cancelled when the loop ends
};

void RedisChangeFeed::State::Deliver(std::vector<StreamRead>& reads, const std::map<std::string, uint64_t>& asked) {
  for (StreamRead& read : reads) {
    const auto generation = asked.find(read.key);
    if (generation == asked.end()) continue;
    Followed* f = Current(read.key, generation->second);
    if (f == nullptr) continue;
    const TripKey trip = f->trip;  // a copy: the sink may unfollow it
    std::vector<SeatChange> pending;
    // Hands `pending` to the sink; false when the trip is no longer read
    // from this cursor (or the loop is stopping).
    auto flush = [&]() -> bool {
      if (pending.empty()) return true;
      std::vector<SeatChange> batch = std::move(pending);
      pending.clear();
      sink->OnChanges(trip, std::move(batch));
      f = Current(read.key, generation->second);
      return f != nullptr;
    };
    bool following = true;
    for (Entry& entry : read.entries) {
      const bool in_order =
          entry.seq.has_value() && static_cast<uint64_t>(*entry.seq) - static_cast<uint64_t>(f->cursor.seq) == 1;
      f->cursor.id = std::move(entry.id);
      if (entry.seq.has_value()) f->cursor.seq = *entry.seq;
      if (!in_order || !entry.changes.ok()) {
        if (!flush()) {
          following = false;
          break;
        }
        sink->OnGap(trip);
        f = Current(read.key, generation->second);
        if (f == nullptr) {
          following = false;
          break;
        }
      }
      if (!entry.changes.ok()) continue;
      for (SeatChange& change : *entry.changes) pending.push_back(std::move(change));
    }
    if (following) flush();
    if (stopping) return;
  }
}

RedisChangeFeed::RedisChangeFeed(asio::any_io_executor executor, redis::Client& client, std::string prefix,
                                 RedisChangeFeedOptions options)
    : state_(std::make_shared<State>(std::move(executor), client, std::move(prefix), options)) {}

RedisChangeFeed::~RedisChangeFeed() {
  state_->stopping = true;
  state_->sink = nullptr;
  state_->wake.cancel();
}

size_t RedisChangeFeed::followed() const { return state_->followed.size(); }

const std::string& RedisChangeFeed::prefix() const { return state_->prefix; }

asio::awaitable<absl::StatusOr<FeedPosition>> RedisChangeFeed::Position(TripKey trip) {
  const std::shared_ptr<State> state = state_;
  redis::Client& client = state->options.position_client != nullptr ? *state->options.position_client : state->client;
  std::vector<std::string> argv = {"XREVRANGE", EdgeKeys(state->prefix, trip).Stream(), "+", "-", "COUNT", "1"};
  absl::StatusOr<redis::Reply> reply = co_await client.Command(std::move(argv));
  if (!reply.ok()) co_return reply.status();
  if (reply->is_error()) co_return absl::InternalError(absl::StrCat("change feed position: redis: ", reply->str()));
  if (!reply->is_array() || reply->size() > 1) {
    co_return absl::InternalError(absl::StrCat("change feed position: unexpected reply ", reply->DebugString()));
  }
  FeedPosition position;
  if (reply->size() == 0) co_return position;  // no stream yet
  absl::StatusOr<Entry> last = ParseEntry((*reply)[0]);
  if (!last.ok()) co_return last.status();
  if (!last->seq.has_value()) {
    co_return absl::InternalError(absl::StrCat("change feed position: last entry ", last->id, " has no valid s"));
  }
  position.id = std::move(last->id);
  position.seq = *last->seq;
  co_return position;
}

void RedisChangeFeed::Follow(const TripKey& trip, FeedPosition from) {
  State& s = *state_;
  if (!IsStreamId(from.id)) from = FeedPosition{"0-0", -1};  // from the start; the first entry is a gap
  State::Followed& f = s.followed[EdgeKeys(s.prefix, trip).Stream()];
  f.trip = trip;
  f.cursor = std::move(from);
  f.generation = ++s.last_generation;
  s.loss_reported = false;
  if (s.idle) s.wake.cancel();
}

void RedisChangeFeed::Unfollow(const TripKey& trip) { state_->followed.erase(EdgeKeys(state_->prefix, trip).Stream()); }

void RedisChangeFeed::Start(FeedSink* sink) {
  State& s = *state_;
  if (s.running || sink == nullptr) return;
  s.running = true;
  s.stopping = false;
  s.sink = sink;
  s.loss_reported = false;
  asio::co_spawn(s.executor, Run(state_), asio::detached);
}

asio::awaitable<void> RedisChangeFeed::Stop() {
  const std::shared_ptr<State> state = state_;
  state->stopping = true;
  state->sink = nullptr;
  state->wake.cancel();
  while (state->running) {
    asio::error_code ec;
    co_await state->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> RedisChangeFeed::Run(std::shared_ptr<State> state) {
  State& s = *state;
  const std::chrono::milliseconds read_timeout = s.options.block_time + s.client.options().command_timeout;
  while (!s.stopping) {
    asio::error_code ec;
    if (s.followed.empty()) {
      s.idle = true;
      s.wake.expires_at(asio::steady_timer::time_point::max());
      co_await s.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      s.idle = false;
      continue;
    }

    std::vector<std::string> argv;
    argv.reserve(6 + 2 * s.followed.size());
    argv.emplace_back("XREAD");
    argv.emplace_back("COUNT");
    argv.push_back(absl::StrCat(s.options.max_entries_per_read));
    argv.emplace_back("BLOCK");
    argv.push_back(absl::StrCat(s.options.block_time.count()));
    argv.emplace_back("STREAMS");
    std::map<std::string, uint64_t> asked;
    for (const auto& [key, f] : s.followed) {
      argv.push_back(key);
      asked.emplace(key, f.generation);
    }
    for (const auto& [key, f] : s.followed) argv.push_back(f.cursor.id);

    absl::StatusOr<redis::Reply> reply = co_await s.client.Command(std::move(argv), read_timeout);
    if (s.stopping) break;
    absl::StatusOr<std::vector<StreamRead>> reads = ParseRead(reply);
    if (!reads.ok()) {
      if (!s.loss_reported) {
        s.loss_reported = true;
        s.sink->OnFeedLost();
        if (s.stopping) break;
      }
      s.wake.expires_after(s.options.retry_pause);
      co_await s.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    s.loss_reported = false;
    s.Deliver(*reads, asked);
  }
  s.running = false;
  s.idle = false;
  s.done.cancel();
}

}  // namespace inventory::cache
