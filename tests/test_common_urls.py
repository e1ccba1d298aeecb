"""sources/common.py URL helpers: absolute URLs come out with a lower-case scheme; query joining."""
from __future__ import annotations

from incidentsearch.sources.common import absolute, join_query


def test_absolute_lowercases_the_scheme():
    # a hypothesis case of test_aggregators.test_fuzz_only_parse_error: GDELT's url "Https://..."
    assert absolute("Https://novynarnia.com/2022/10/15/soloti/", None) == "https://novynarnia.com/2022/10/15/soloti/"
    assert absolute("HTTP://x.org/a", None) == "http://x.org/a"
    assert absolute("/a", "HTTPS://x.org/b") == "https://x.org/a"
    assert absolute("javascript:void(0)", "https://x.org/") is None


def test_join_query():
    assert join_query("https://x.org/s", [("q", "a b:c,d/e"), ("n", "1")]) == "https://x.org/s?q=a%20b:c,d/e&n=1"
    assert join_query("https://x.org/s?x=1", [("q", "й")]) == "https://x.org/s?x=1&q=%D0%B9"
