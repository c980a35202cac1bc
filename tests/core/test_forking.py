"""core.forking: worker processes that share this process's memory."""

import gc

from leadbook.core.forking import forked_pool


def _frozen_in_child() -> int:
    return gc.get_freeze_count()


def test_children_keep_the_parents_objects_out_of_the_collector_and_the_parent_does_not():
    pool = forked_pool(1)
    try:
        assert pool.apply(_frozen_in_child) > 0  # the parent's objects, frozen before forking
    finally:
        pool.terminate()
        pool.join()
    assert gc.get_freeze_count() == 0
