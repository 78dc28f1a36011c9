// Failure reporting: the last error message of the calling thread.
#include "guard.h"

namespace {
thread_local std::string last_error;
}

void lr::set_error(const char* message, const char* file, int line) {
  const char* base = std::strrchr(file, '/');
  last_error = std::string(message) + " [" + (base ? base + 1 : file) + ":" + std::to_string(line) + "]";
}

LR_NOTHROW const char* lr_last_error() { return last_error.c_str(); }
