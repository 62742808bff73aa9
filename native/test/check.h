#pragma once
// A minimal unit-test harness for the core (no downloads, no framework): TEST registers a
// function, CHECK/CHECK_EQ record failures with file:line, main() runs them all and
// prints "N passed, N failed".
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace ringclip::test {

struct Case {
  const char* name;
  std::function<void()> fn;
};
std::vector<Case>& registry();
void fail(const char* file, int line, const std::string& what);

struct Register {
  Register(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

inline std::vector<uint8_t> read_fixture(const std::string& name) {
  std::ifstream in(std::string(RINGCLIP_FIXTURES) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + name);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace ringclip::test

#define RC_CONCAT2(a, b) a##b
#define RC_CONCAT(a, b) RC_CONCAT2(a, b)
#define TEST(name)                                                           \
  static void name();                                                        \
  static ::ringclip::test::Register RC_CONCAT(register_, name)(#name, name); \
  static void name()

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) ::ringclip::test::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                                \
  do {                                                                \
    auto&& rc_a = (a);                                                \
    auto&& rc_b = (b);                                                \
    if (!(rc_a == rc_b)) {                                            \
      std::ostringstream rc_s;                                        \
      rc_s << "CHECK_EQ(" #a ", " #b "): " << rc_a << " != " << rc_b; \
      ::ringclip::test::fail(__FILE__, __LINE__, rc_s.str());         \
    }                                                                 \
  } while (0)

#define CHECK_THROWS(expr)                                                                 \
  do {                                                                                     \
    bool rc_threw = false;                                                                 \
    try {                                                                                  \
      (void)(expr);                                                                        \
    } catch (...) {                                                                        \
      rc_threw = true;                                                                     \
    }                                                                                      \
    if (!rc_threw) ::ringclip::test::fail(__FILE__, __LINE__, "expected a throw: " #expr); \
  } while (0)
