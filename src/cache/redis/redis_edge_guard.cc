#include "cache/redis/redis_edge_guard.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cache/edge_keys.h"
#include "common/unix_time.h"
#include "redis/reply.h"
#include "redis/script.h"

namespace inventory::cache {
namespace {

// KEYS[1..n] pre-locks, KEYS[n+1..2n] markers of the same cells, in order.
// ARGV[1] encoded requester, ARGV[2] token, ARGV[3] ttl in ms.
// Returns {0} acquired, {1, i...} contended, {2, i, value, i, value...}
// taken, where i are 1-based cell indices and value the refusing marker's.
//
// holder_of accepts exactly what ParseMarkerValue (edge_keys.h) accepts:
// the four fields, status h or b, well-formed percent escapes in the holder
// and the id, and an expiry that fits in an int64 (leading zeros allowed).
// So a value refusing here always parses on the client, and a tombstone or
// garbage never refuses.
const redis::Script& AcquireScript() {
  static const redis::Script kScript(R"lua(
local function escapes_ok(f)
  return not string.find((string.gsub(f, '%%%x%x', '')), '%', 1, true)
end
local function holder_of(v)
  local holder, id, exp = string.match(v, '^[hb]|([^|]*)|([^|]*)|(%-?%d+)$')
  if not holder or not escapes_ok(holder) or not escapes_ok(id) then return nil end
  local minus, digits = string.match(exp, '^(%-?)0*(%d+)$')
  if #digits > 19 then return nil end
  if #digits == 19 then
    local limit = '9223372036854775807'
    if minus == '-' then limit = '9223372036854775808' end
    if digits > limit then return nil end
  end
  return holder
end
local n = #KEYS / 2
local requester, token, ttl = ARGV[1], ARGV[2], ARGV[3]
local taken = {2}
for i = 1, n do
  local v = redis.call('GET', KEYS[n + i])
  if v then
    local holder = holder_of(v)
    if holder and holder ~= requester then
      taken[#taken + 1] = i
      taken[#taken + 1] = v
    end
  end
end
if #taken > 1 then return taken end
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

// KEYS: m marker keys, u marker keys to unmark, l pre-locks, then, when the
// change is not empty, the stream and the sequence key.
// ARGV[1..3] m, u, l; ARGV[4] token; ARGV[5] tombstone PX; ARGV[6] change
// ('' for none); ARGV[7] stream max length; ARGV[8] stream PX; then per
// marker: value, PX, tombstone of its id; then per unmark: encoded id,
// tombstone of it.
// Returns the change's sequence number, or 0 when there is no change.
const redis::Script& AnnounceScript() {
  // KEYS: markers (m), unmarked cells (u), locks (l), the tombstones of the
  // markers' ids (m) and of the unmarks' ids (u), then, with a change, the
  // stream and its sequence. ARGV: m, u, l, token, tombstone ms, change,
  // stream max length, stream lifetime ms, then per marker value and px,
  // then per unmark the encoded id.
  static const redis::Script kScript(R"lua(
local m, u, l = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local token, tomb_px, change = ARGV[4], ARGV[5], ARGV[6]
local cells = m + u + l
local gone = cells
local stream, sequence
if change ~= '' then stream, sequence = KEYS[gone + m + u + 1], KEYS[gone + m + u + 2] end
-- Types first: a command failing midway would leave half of it written.
local function check(key, want)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. t .. ', not a ' .. want)
  end
end
for i = 1, cells + m + u do
  local e = check(KEYS[i], 'string')
  if e then return e end
end
if stream then
  local e = check(stream, 'stream') or check(sequence, 'string')
  if e then return e end
  local q = redis.call('GET', sequence)
  if q and not string.match(q, '^%-?%d+$') then
    return redis.error_reply('WRONGTYPE ' .. sequence .. ' is not a counter')
  end
end
-- Tombstones first, so that a marker and an unmark of one id in one call end unmarked.
local a = 8 + 2 * m
for j = 1, u do
  local key, id = KEYS[m + j], ARGV[a + j]
  local v = redis.call('GET', key)
  if v and string.match(v, '^[hb]|[^|]*|([^|]*)|%-?%d+$') == id then redis.call('DEL', key) end
  redis.call('SET', KEYS[gone + m + j], '1', 'PX', tomb_px)
end
for i = 1, m do
  if redis.call('EXISTS', KEYS[gone + i]) == 0 then
    redis.call('SET', KEYS[i], ARGV[8 + 2 * i - 1], 'PX', ARGV[8 + 2 * i])
  end
end
for k = m + u + 1, cells do
  if redis.call('GET', KEYS[k]) == token then redis.call('DEL', KEYS[k]) end
end
if not stream then return 0 end
local seq = redis.call('INCR', sequence)
redis.call('XADD', stream, 'MAXLEN', '~', ARGV[7], '*', 's', string.format('%d', seq), 'c', change)
redis.call('PEXPIRE', stream, ARGV[8])
redis.call('PEXPIRE', sequence, ARGV[8])
return seq
)lua");
  return kScript;
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
  auto cell_of = [&cells](const redis::Reply& index) -> const SeatSegment* {
    if (!index.is_integer() || index.integer() < 1 || static_cast<uint64_t>(index.integer()) > cells.size()) {
      return nullptr;
    }
    return &cells[static_cast<size_t>(index.integer() - 1)];
  };
  if (!reply.is_array() || reply.size() == 0 || !reply[0].is_integer()) return bad();
  LockResult result;
  std::set<std::string_view> seen;
  auto add_seat = [&](const std::string& seat) {
    if (seen.insert(seat).second) result.seats.push_back(seat);
  };
  switch (reply[0].integer()) {
    case 0:
      if (reply.size() != 1) return bad();
      result.outcome = LockOutcome::kAcquired;
      return result;
    case 1:
      if (reply.size() < 2) return bad();
      result.outcome = LockOutcome::kContended;
      for (size_t k = 1; k < reply.size(); ++k) {
        const SeatSegment* cell = cell_of(reply[k]);
        if (cell == nullptr) return bad();
        add_seat(cell->seat_id);
      }
      return result;
    case 2:
      if (reply.size() < 3 || reply.size() % 2 != 1) return bad();
      result.outcome = LockOutcome::kTaken;
      for (size_t k = 1; k < reply.size(); k += 2) {
        const SeatSegment* cell = cell_of(reply[k]);
        if (cell == nullptr || !reply[k + 1].is_string()) return bad();
        absl::StatusOr<Marker> marker = ParseMarkerValue(reply[k + 1].str(), *cell);
        if (!marker.ok()) return bad();  // the script only returns what parses
        if (result.taken.empty() || marker->expires_at_ms > result.taken_until_ms) {
          result.taken_until_ms = marker->expires_at_ms;
        }
        add_seat(cell->seat_id);
        result.taken.push_back(std::move(*marker));
      }
      return result;
    default:
      return bad();
  }
}

RedisEdgeGuardOptions Sanitized(RedisEdgeGuardOptions o) {
  constexpr std::chrono::milliseconds kMin(1);
  o.marker_lifetime = std::max(o.marker_lifetime, kMin);
  o.tombstone_lifetime = std::max(o.tombstone_lifetime, kMin);
  o.stream_lifetime = std::max(o.stream_lifetime, kMin);
  o.stream_max_length = std::max<int64_t>(o.stream_max_length, 1);
  return o;
}

}  // namespace

RedisEdgeGuard::RedisEdgeGuard(redis::Client& client, std::string prefix, NowMsFn now_ms,
                               RedisEdgeGuardOptions options)
    : client_(client),
      prefix_(std::move(prefix)),
      now_ms_(now_ms ? std::move(now_ms) : NowMsFn(UnixNowMs)),
      options_(Sanitized(options)) {}

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

asio::awaitable<absl::Status> RedisEdgeGuard::Announce(TripKey trip, Announcement announcement) {
  Announcement& a = announcement;
  if (a.token.empty() && !a.locked.empty()) co_return absl::InvalidArgumentError("edge announce: empty token");
  for (const Unmark& unmark : a.unmarks) {
    if (unmark.id.empty()) co_return absl::InvalidArgumentError("edge announce: unmark with an empty id");
  }

  const EdgeKeys names(prefix_, trip);
  const bool has_change = !a.change.empty();
  const int64_t now = now_ms_();
  const uint64_t cap = static_cast<uint64_t>(options_.marker_lifetime.count());
  std::vector<std::string> keys;
  keys.reserve(a.markers.size() + a.unmarks.size() + a.locked.size() + 2);
  std::vector<std::string> args;
  args.reserve(8 + 3 * a.markers.size() + 2 * a.unmarks.size());
  args.resize(3);  // the counts, filled in below
  args.push_back(std::move(a.token));
  args.push_back(absl::StrCat(options_.tombstone_lifetime.count()));
  args.push_back(std::move(a.change));
  args.push_back(absl::StrCat(options_.stream_max_length));
  args.push_back(absl::StrCat(options_.stream_lifetime.count()));
  size_t live = 0;
  std::vector<std::string> tombstones;  // of the live markers' ids, then of the unmarks' ids
  for (const Marker& marker : a.markers) {
    if (marker.expires_at_ms <= now) continue;  // already over: nothing to say
    // The true difference is positive and fits in uint64 for any two int64s.
    const uint64_t left = static_cast<uint64_t>(marker.expires_at_ms) - static_cast<uint64_t>(now);
    keys.push_back(names.Marker(marker.at));
    args.push_back(FormatMarkerValue(marker));
    args.push_back(absl::StrCat(std::min(left, cap)));
    tombstones.push_back(names.Gone(marker.hold_id));
    ++live;
  }
  for (const Unmark& unmark : a.unmarks) {
    keys.push_back(names.Marker(unmark.at));
    args.push_back(EncodeMarkerField(unmark.id));
    tombstones.push_back(names.Gone(unmark.id));
  }
  for (const SeatSegment& cell : a.locked) keys.push_back(names.Lock(cell));
  if (keys.empty() && !has_change) co_return absl::OkStatus();  // nothing to say
  for (std::string& t : tombstones) keys.push_back(std::move(t));
  if (has_change) {
    keys.push_back(names.Stream());
    keys.push_back(names.Sequence());
  }
  args[0] = absl::StrCat(live);
  args[1] = absl::StrCat(a.unmarks.size());
  args[2] = absl::StrCat(a.locked.size());

  absl::StatusOr<redis::Reply> reply =
      CheckReply(co_await client_.Eval(AnnounceScript(), std::move(keys), std::move(args)), "announce");
  co_return ExpectInteger(reply, "announce");
}

}  // namespace inventory::cache
