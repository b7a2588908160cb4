"""ferrofix: fix Rust compile errors locally, every fix verified by `cargo check`.

The core library: cargo runner and rustc JSON model (`cargo`, `diagnostics`), suggestion edits
(`edits`), the local LLM engine (`llm`), GGUF models (`models`), the compile-and-fix loop (`repair`),
settings and the `ferrofix` command line (`cli`). No Qt and no LSP types live here.
"""

__version__ = "0.1.0"
