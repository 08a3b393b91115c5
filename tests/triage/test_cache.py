"""The trained model's cache: read back without training, rebuilt when it is bad."""

from __future__ import annotations

import pickle
from pathlib import Path

from supportdesk.rules.tree import Branch
from supportdesk.triage import Example, TriageModel, cache_key, load_model, training_examples
from supportdesk.triage.cache import cache_path

PROBE = "my phone was stolen and the authenticator was on it"


def small_set(per_branch: int = 8) -> tuple[Example, ...]:
    """Enough of each branch for the calibration folds, quick to train."""
    picked: list[Example] = []
    for branch in Branch:
        picked += [e for e in training_examples() if e.branch == branch][:per_branch]
    return tuple(picked)


def test_the_second_load_reads_the_cache_instead_of_training(tmp_path: Path) -> None:
    examples = small_set()
    first = load_model(examples, cache_dir=tmp_path)
    assert first.origin == "training"
    path = cache_path(first.key, tmp_path)
    written = path.stat().st_mtime_ns
    second = load_model(examples, cache_dir=tmp_path)
    assert second.origin == "cache"
    assert path.stat().st_mtime_ns == written
    assert second.classify(PROBE).top == first.classify(PROBE).top


def test_the_shipped_model_is_read_back_from_the_cache_folder(
    triage_cache_base: Path, triage_model: TriageModel
) -> None:
    again = load_model()  # the session fixture trained it; here it must be read back
    assert again.origin == "cache"
    assert again.key == triage_model.key
    assert cache_path(again.key).parent == triage_cache_base / "triage"


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    examples = small_set()
    path = cache_path(cache_key(examples), tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a pickle at all")
    rebuilt = load_model(examples, cache_dir=tmp_path)
    assert rebuilt.origin == "training"
    assert rebuilt.classify(PROBE).best is not None
    assert load_model(examples, cache_dir=tmp_path).origin == "cache"


def test_a_truncated_cache_file_is_rebuilt(tmp_path: Path) -> None:
    examples = small_set()
    good = load_model(examples, cache_dir=tmp_path)
    path = cache_path(good.key, tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert load_model(examples, cache_dir=tmp_path).origin == "training"


def test_a_model_cached_under_another_key_is_not_used(tmp_path: Path) -> None:
    """A file from other data (or another version) in this key's place is retrained."""
    fewer, more = small_set(6), small_set(8)
    stale = load_model(fewer, cache_dir=tmp_path)
    target = cache_path(cache_key(more), tmp_path)
    cache_path(stale.key, tmp_path).rename(target)
    fresh = load_model(more, cache_dir=tmp_path)
    assert fresh.origin == "training"
    assert fresh.key == cache_key(more) != stale.key
    with target.open("rb") as file:
        assert pickle.load(file)["key"] == fresh.key


def test_new_training_data_changes_the_key_and_drops_the_old_file(tmp_path: Path) -> None:
    examples = small_set()
    old = load_model(examples, cache_dir=tmp_path)
    extra = Example(id="x1", branch=Branch.NOT_MFA, text="our fuel card invoice is wrong")
    new = load_model((*examples, extra), cache_dir=tmp_path)
    assert new.key != old.key and new.origin == "training"
    assert [p.name for p in tmp_path.glob("model-*.pickle")] == [cache_path(new.key).name]


def test_an_unwritable_cache_folder_still_gives_a_model(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    model = load_model(small_set(), cache_dir=blocked)
    assert model.origin == "training"
    assert model.classify(PROBE).best is not None
