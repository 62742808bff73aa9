#include "check.h"

namespace ringclip::test {

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

static int g_failures_in_case = 0;

void fail(const char* file, int line, const std::string& what) {
  ++g_failures_in_case;
  std::cerr << "  " << file << ":" << line << ": " << what << "\n";
}

}  // namespace ringclip::test

int main(int argc, char** argv) {
  using namespace ringclip::test;
  std::string only = argc > 1 ? argv[1] : "";
  int passed = 0, failed = 0;
  for (auto& c : registry()) {
    if (!only.empty() && std::string(c.name).find(only) == std::string::npos) continue;
    g_failures_in_case = 0;
    try {
      c.fn();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    if (g_failures_in_case == 0) {
      ++passed;
    } else {
      ++failed;
      std::cerr << "FAIL " << c.name << "\n";
    }
  }
  std::cout << "core: " << passed << " passed, " << failed << " failed\n";
  return failed == 0 && passed > 0 ? 0 : 1;
}
