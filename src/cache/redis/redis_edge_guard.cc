#include "cache/redis/redis_edge_guard.h"

#include <chrono>
#include <cstdint>
#include <set>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cache/edge_keys.h"
#include "redis/reply.h"
#include "redis/script.h"

namespace inventory::cache {
namespace {

// KEYS[1..n] pre-locks, KEYS[n+1..2n] markers of the same cells, in order.
// ARGV[1] encoded requester, ARGV[2] token, ARGV[3] ttl in ms.
// Returns {0} acquired, {1, i...} contended, {2, until_ms, i...} taken, where
// i are 1-based cell indices.
const redis::Script& AcquireScript() {
  static const redis::Script kScript(R"lua(
local n = #KEYS / 2
local requester, token, ttl = ARGV[1], ARGV[2], ARGV[3]
local taken, until_ms = {2, 0}, nil
for i = 1, n do
  local v = redis.call('GET', KEYS[n + i])
  if v then
    local holder, exp = string.match(v, '^[hb]|([^|]*)|[^|]*|(%-?%d+)$')
    if holder and holder ~= requester then
      taken[#taken + 1] = i
      local e = tonumber(exp)
      if until_ms == nil or e > until_ms then until_ms = e end
    end
  end
end
if until_ms ~= nil then
  taken[2] = until_ms
  return taken
end
local busy = {1}
for i = 1, n do
  local v = redis.call('GET', KEYS[i])
  if v and v ~= token then busy[#busy + 1] = i end
end
if #busy > 1 then return busy end
for i = 1, n do
  redis.call('SET', KEYS[i], token, 'PX', ttl)
end
return {0}
)lua");
  return kScript;
}

// KEYS: pre-locks. ARGV[1] token. Returns the number deleted.
const redis::Script& ReleaseScript() {
  static const redis::Script kScript(R"lua(
local released = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    released = released + redis.call('DEL', KEYS[i])
  end
end
return released
)lua");
  return kScript;
}

// KEYS[1..m] markers, KEYS[m+1..] pre-locks. ARGV[1] m, ARGV[2] token, then
// per marker i: ARGV[1+2i] value, ARGV[2+2i] remaining ms. Returns the number
// of locks released.
const redis::Script& MarkAndReleaseScript() {
  static const redis::Script kScript(R"lua(
local m = tonumber(ARGV[1])
local token = ARGV[2]
for i = 1, m do
  local px = tonumber(ARGV[2 + 2 * i])
  if px > 0 then
    redis.call('SET', KEYS[i], ARGV[1 + 2 * i], 'PX', px)
  end
end
local released = 0
for i = m + 1, #KEYS do
  if redis.call('GET', KEYS[i]) == token then
    released = released + redis.call('DEL', KEYS[i])
  end
end
return released
)lua");
  return kScript;
}

// KEYS: markers. ARGV[1] encoded id. Returns the number deleted.
const redis::Script& UnmarkScript() {
  static const redis::Script kScript(R"lua(
local removed = 0
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v then
    local id = string.match(v, '^[hb]|[^|]*|([^|]*)|%-?%d+$')
    if id == ARGV[1] then
      removed = removed + redis.call('DEL', KEYS[i])
    end
  end
end
return removed
)lua");
  return kScript;
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Transport errors pass through; a server error reply becomes INTERNAL.
absl::StatusOr<redis::Reply> CheckReply(absl::StatusOr<redis::Reply> reply, const char* what) {
  if (!reply.ok()) return reply;
  if (reply->is_error()) {
    return absl::InternalError(absl::StrCat("edge ", what, ": redis: ", reply->str()));
  }
  return reply;
}

absl::Status ExpectInteger(const absl::StatusOr<redis::Reply>& reply, const char* what) {
  if (!reply.ok()) return reply.status();
  if (!reply->is_integer()) {
    return absl::InternalError(absl::StrCat("edge ", what, ": unexpected reply ", reply->DebugString()));
  }
  return absl::OkStatus();
}

// Decodes the Acquire script's answer (see AcquireScript).
absl::StatusOr<LockResult> DecodeAcquire(const redis::Reply& reply, const std::vector<SeatSegment>& cells) {
  auto bad = [&reply] {
    return absl::InternalError(absl::StrCat("edge acquire: unexpected reply ", reply.DebugString()));
  };
  if (!reply.is_array() || reply.size() == 0 || !reply[0].is_integer()) return bad();
  LockResult result;
  size_t first_index = 1;
  switch (reply[0].integer()) {
    case 0:
      if (reply.size() != 1) return bad();
      result.outcome = LockOutcome::kAcquired;
      return result;
    case 1:
      result.outcome = LockOutcome::kContended;
      break;
    case 2:
      if (reply.size() < 2 || !reply[1].is_integer()) return bad();
      result.outcome = LockOutcome::kTaken;
      result.taken_until_ms = reply[1].integer();
      first_index = 2;
      break;
    default:
      return bad();
  }
  if (reply.size() <= first_index) return bad();
  std::set<std::string_view> seen;
  for (size_t k = first_index; k < reply.size(); ++k) {
    const redis::Reply& index = reply[k];
    if (!index.is_integer() || index.integer() < 1 || static_cast<uint64_t>(index.integer()) > cells.size()) {
      return bad();
    }
    const std::string& seat = cells[static_cast<size_t>(index.integer() - 1)].seat_id;
    if (seen.insert(seat).second) result.seats.push_back(seat);
  }
  return result;
}

}  // namespace

RedisEdgeGuard::RedisEdgeGuard(redis::Client& client, std::string prefix, NowMsFn now_ms)
    : client_(client), prefix_(std::move(prefix)), now_ms_(now_ms ? std::move(now_ms) : NowMsFn(SystemNowMs)) {}

asio::awaitable<absl::StatusOr<LockResult>> RedisEdgeGuard::Acquire(TripKey trip, std::vector<SeatSegment> cells,
                                                                     std::string requester, std::string token,
                                                                     std::chrono::milliseconds ttl) {
  if (token.empty()) co_return absl::InvalidArgumentError("edge acquire: empty token");
  if (ttl.count() <= 0) co_return absl::InvalidArgumentError("edge acquire: ttl must be positive");
  if (cells.empty()) co_return LockResult{};

  const EdgeKeys names(prefix_, trip);
  std::vector<std::string> keys;
  keys.reserve(2 * cells.size());
  for (const SeatSegment& cell : cells) keys.push_back(names.Lock(cell));
  for (const SeatSegment& cell : cells) keys.push_back(names.Marker(cell));
  std::vector<std::string> args;
  args.reserve(3);
  args.push_back(EncodeMarkerField(requester));
  args.push_back(std::move(token));
  args.push_back(absl::StrCat(ttl.count()));

  absl::StatusOr<redis::Reply> reply =
      CheckReply(co_await client_.Eval(AcquireScript(), std::move(keys), std::move(args)), "acquire");
  if (!reply.ok()) co_return reply.status();
  co_return DecodeAcquire(*reply, cells);
}

asio::awaitable<absl::Status> RedisEdgeGuard::Release(TripKey trip, std::vector<SeatSegment> cells,
                                                      std::string token) {
  if (token.empty()) co_return absl::InvalidArgumentError("edge release: empty token");
  if (cells.empty()) co_return absl::OkStatus();

  const EdgeKeys names(prefix_, trip);
  std::vector<std::string> keys;
  keys.reserve(cells.size());
  for (const SeatSegment& cell : cells) keys.push_back(names.Lock(cell));
  std::vector<std::string> args;
  args.push_back(std::move(token));

  absl::StatusOr<redis::Reply> reply =
      CheckReply(co_await client_.Eval(ReleaseScript(), std::move(keys), std::move(args)), "release");
  co_return ExpectInteger(reply, "release");
}

asio::awaitable<absl::Status> RedisEdgeGuard::MarkAndRelease(TripKey trip, std::vector<Marker> markers,
                                                             std::vector<SeatSegment> locked, std::string token) {
  if (token.empty() && !locked.empty()) co_return absl::InvalidArgumentError("edge mark: empty token");

  const EdgeKeys names(prefix_, trip);
  const int64_t now = now_ms_();
  std::vector<std::string> keys;
  keys.reserve(markers.size() + locked.size());
  std::vector<std::string> args;
  args.reserve(2 + 2 * markers.size());
  args.emplace_back();  // marker count, filled in below
  args.push_back(std::move(token));
  size_t live = 0;
  for (const Marker& marker : markers) {
    if (marker.expires_at_ms <= now) continue;  // already over: nothing to say
    keys.push_back(names.Marker(marker.at));
    args.push_back(FormatMarkerValue(marker));
    args.push_back(absl::StrCat(marker.expires_at_ms - now));
    ++live;
  }
  if (live == 0 && locked.empty()) co_return absl::OkStatus();
  args[0] = absl::StrCat(live);
  for (const SeatSegment& cell : locked) keys.push_back(names.Lock(cell));

  absl::StatusOr<redis::Reply> reply =
      CheckReply(co_await client_.Eval(MarkAndReleaseScript(), std::move(keys), std::move(args)), "mark");
  co_return ExpectInteger(reply, "mark");
}

asio::awaitable<absl::Status> RedisEdgeGuard::Unmark(TripKey trip, std::vector<SeatSegment> cells, std::string id) {
  if (id.empty()) co_return absl::InvalidArgumentError("edge unmark: empty id");
  if (cells.empty()) co_return absl::OkStatus();

  const EdgeKeys names(prefix_, trip);
  std::vector<std::string> keys;
  keys.reserve(cells.size());
  for (const SeatSegment& cell : cells) keys.push_back(names.Marker(cell));
  std::vector<std::string> args;
  args.push_back(EncodeMarkerField(id));

  absl::StatusOr<redis::Reply> reply =
      CheckReply(co_await client_.Eval(UnmarkScript(), std::move(keys), std::move(args)), "unmark");
  co_return ExpectInteger(reply, "unmark");
}

}  // namespace inventory::cache
