// The native tests' one assertion: counts and prints a failure, keeps going.
#pragma once

#include <cstdio>

namespace int8cal_test {
inline int failures = 0;
}  // namespace int8cal_test

#define CHECK(cond, ...)                          \
  do {                                            \
    if (!(cond)) {                                \
      ++int8cal_test::failures;                   \
      std::printf("FAIL %s: ", #cond);            \
      std::printf(__VA_ARGS__);                   \
      std::printf("\n");                          \
    }                                             \
  } while (0)
