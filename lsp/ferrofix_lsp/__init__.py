"""ferrofix language server (pygls 2); built in a later issue."""
