# Included by CMake right after llama.cpp's project() when llama-cpp-python is built by the installers
# (-DCMAKE_PROJECT_llama.cpp_INCLUDE=<this file>, in CMAKE_ARGS; see installer/install.sh).
#
# llama-cpp-python's CMakeLists forces LLAMA_BUILD_COMMON on, but its Python bindings load only
# libllama and the ggml libraries: libllama-common (llama.cpp's helpers for its own tools: argument
# parsing, chat parsers, JSON, cpp-httplib) is built and never loaded. Turning it off here, after that
# FORCE and before llama.cpp's option() reads it, takes it out of a first install's compile.
set(LLAMA_BUILD_COMMON OFF CACHE BOOL "llama: build common utils library" FORCE)
