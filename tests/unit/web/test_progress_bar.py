from checks.models import Batch
from checks.web.progress_bar import bar_segments


def test_disambiguation_pages_are_taken_out_of_the_pages_that_exist():
    batch = Batch(total=4, done=4, exists_count=3, disambiguation_count=1, missing_count=1)

    shares = {segment.key: segment.count for segment in bar_segments(batch)}

    assert shares == {"exists": 2, "disambiguation": 1, "missing": 1}


def test_the_segments_follow_one_another_and_fill_the_bar():
    batch = Batch(total=3, done=2, exists_count=1, error_count=1)

    bar = bar_segments(batch)

    assert [(segment.key, segment.start) for segment in bar] == [
        ("exists", 0.0),
        ("error", 33.333),
        ("pending", 66.667),
    ]
    assert round(sum(segment.width for segment in bar), 2) == 100


def test_an_empty_batch_has_no_segments():
    assert bar_segments(Batch(total=0)) == []
