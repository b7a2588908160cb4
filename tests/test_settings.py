"""Settings: defaults, camelCase keys, unknown keys ignored, invalid values reported and defaulted."""

import pytest

from ferrofix.errors import SettingsError
from ferrofix.settings import Settings, from_dict, load


def test_defaults():
    s = Settings()
    assert s.check.command == ["check"] and s.check.all_targets and s.check.timeout_s == 300.0
    assert s.llm.backend == "llama-cpp" and s.llm.n_ctx == 8192


def test_lenient_parsing():
    s = from_dict({"check": {"command": ["clippy"], "timeoutS": 30, "bogus": 1},
                   "llm": {"nCtx": "big"}, "nonsense": {"a": 1}})
    assert s.check.command == ["clippy"] and s.check.timeout_s == 30.0
    assert s.llm.n_ctx == 8192
    assert s.warnings == ["llm.n_ctx: invalid value 'big', using 8192"]


def test_load_file(tmp_path):
    p = tmp_path / "settings.toml"
    p.write_text('[repair]\nmax_rounds = 3\n')
    assert load(p).repair.max_rounds == 3
    assert load(tmp_path / "missing.toml") == Settings()
    p.write_text("[repair\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load(p)
