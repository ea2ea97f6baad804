"""Reading labelled photo sets: Grocery Store layout, plain folders, clear errors."""

from __future__ import annotations

import pytest

from pipeline.lab.photo_sets import PhotoSetError, read_split, withheld
from tests.factories.photo_sets import COLOURS, grocery_set, plain_set


def test_grocery_layout_reads_fine_and_coarse_classes(tmp_path):
    root = grocery_set(tmp_path)
    train = read_split(root, "train")
    assert len(train.photos) == 8 * len(COLOURS)
    assert train.classes == sorted(COLOURS)
    apple = next(p for p in train.photos if p.label == "red-apple")
    assert apple.coarse == "apple" and apple.path.is_file()


def test_plain_folders_are_one_split(tmp_path):
    photos = read_split(plain_set(tmp_path, n=3), "train")
    assert len(photos.photos) == 3 * len(COLOURS)
    assert {p.coarse for p in photos.photos} == set(COLOURS)


@pytest.mark.parametrize("line, expected", [
    ("train/x.jpg, 99, 0", "train.txt:2"),  # class id not in classes.csv
    ("train/x.jpg", "train.txt:2"),  # no class id
])
def test_bad_listing_names_file_and_line(tmp_path, line, expected):
    root = grocery_set(tmp_path, {"train": 1})
    first = (root / "train.txt").read_text().splitlines()[0]
    (root / "train.txt").write_text(f"{first}\n{line}\n")
    with pytest.raises(PhotoSetError, match=expected):
        read_split(root, "train")


def test_unknown_split_lists_the_ones_there(tmp_path):
    root = grocery_set(tmp_path, {"train": 1})
    with pytest.raises(PhotoSetError, match="have: train"):
        read_split(root, "test")


def test_withheld_is_fixed_by_seed_and_checked():
    classes = [f"c{i}" for i in range(30)]
    assert withheld(classes, 5, seed=3) == withheld(list(reversed(classes)), 5, seed=3)
    assert withheld(classes, 5, seed=3) != withheld(classes, 5, seed=4)
    with pytest.raises(PhotoSetError):
        withheld(classes, 30)
