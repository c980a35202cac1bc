"""core.ahead: work handed out a few items ahead, results in order."""

from leadbook.core.ahead import in_order


def test_results_come_in_order_with_at_most_ahead_items_under_way():
    started, waited = [], []

    def start(item):
        started.append(item)
        assert len(started) - len(waited) <= 3  # never more than `ahead` under way
        return lambda: waited.append(item) or item * 10

    assert list(in_order(start, range(8), ahead=3)) == [0, 10, 20, 30, 40, 50, 60, 70]
    assert waited == list(range(8))
